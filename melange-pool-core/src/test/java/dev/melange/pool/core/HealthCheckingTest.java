package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.core.health.HealthMonitor;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.core.health.TcpProbe;
import dev.melange.pool.spi.HealthProbe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Active health checking through the public API: real probes against servers the test starts on
 * loopback, and a probe the test answers by hand where exact steps matter.
 */
class HealthCheckingTest {
  private static final String ARCH = "x86_64";
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : closing) {
      closeable.close();
    }
  }

  private <T extends AutoCloseable> T closing(T closeable) {
    closing.add(0, closeable);
    return closeable;
  }

  private static Health health(BackendPool pool, String addr) {
    return PoolStatus.of(pool, addr).health();
  }

  private static void awaitHealth(BackendPool pool, String addr, Health expected) {
    Eventually.until(
        addr + " " + expected, () -> health(pool, addr) == expected, () -> pool.status());
  }

  /** A loopback server that accepts connections and hangs up, until closed. */
  private static final class TcpServer implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger accepted = new AtomicInteger();

    TcpServer(int port) throws IOException {
      socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      Thread acceptor =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    socket.accept().close(); // the connect is the probe
                    accepted.incrementAndGet();
                  } catch (IOException closed) {
                    return;
                  }
                }
              },
              "test-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static long probes(String addr, HealthCheck check) {
    HealthMonitor monitor = HealthService.SHARED.monitor(addr, check, TcpProbe.FACTORY);
    return monitor == null ? 0 : monitor.probes();
  }

  @Test
  void tcpCheckTurnsUnhealthyAfterItsThresholdAndRecoversAfterItsOwn() throws Exception {
    TcpServer server = new TcpServer(0);
    int port = server.port();
    String addr = "tcp://127.0.0.1:" + port;
    HealthCheck check =
        HealthCheck.tcp()
            .withInterval(HealthCheck.MIN_INTERVAL)
            .withTimeout(Duration.ofSeconds(5))
            .withJitter(0)
            .consecutive(2, 3);
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of(addr, ARCH))
                .healthCheck(check)
                .failOpen(false)
                .build());

    awaitHealth(pool, addr, Health.HEALTHY);
    BackendStatus healthy = PoolStatus.of(pool, addr);
    assertThat(healthy.lastProbe()).isNotNull();
    assertThat(healthy.lastProbeResult()).isEqualTo("ok");
    assertThat(server.accepted.get()).isPositive();
    assertThat(pool.tryAcquire(ARCH, Selector.any())).isPresent().get().satisfies(Lease::close);

    server.close();
    long probesAtStop = probes(addr, check);
    awaitHealth(pool, addr, Health.UNHEALTHY);
    // One of the 3 failures may be a probe counted just before the count was read, whose connect
    // came after the close: at least 2 more probes were needed.
    assertThat(probes(addr, check) - probesAtStop)
        .as("probes until unhealthy")
        .isGreaterThanOrEqualTo(2);
    assertThat(PoolStatus.of(pool, addr).lastProbeResult()).contains("refused");
    assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty();

    TcpServer restarted = closing(new TcpServer(port));
    long probesAtRestart = probes(addr, check);
    awaitHealth(pool, addr, Health.HEALTHY);
    // Likewise one success may have been counted before: the restarted server counts them all.
    assertThat(probes(addr, check) - probesAtRestart)
        .as("probes until healthy")
        .isGreaterThanOrEqualTo(1);
    assertThat(restarted.accepted.get()).as("successes until healthy").isGreaterThanOrEqualTo(2);
    assertThat(pool.tryAcquire(ARCH, Selector.any())).isPresent().get().satisfies(Lease::close);
  }

  @Test
  void backendsNamedByHostNameAreResolvedAndProbed() throws Exception {
    TcpServer server = closing(new TcpServer(0));
    String named = "tcp://localhost:" + server.port();
    String unknown = "tcp://no-such-backend.invalid:1234";
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of(named, ARCH))
                .backend(Backend.of(unknown, ARCH))
                .healthCheck(HealthCheck.tcp().withInterval(HealthCheck.MIN_INTERVAL).withJitter(0))
                .build());

    awaitHealth(pool, named, Health.HEALTHY);
    awaitHealth(pool, unknown, Health.UNHEALTHY);
    // Without a name server the lookup may outlast the probe's timeout instead of failing.
    assertThat(PoolStatus.of(pool, unknown).lastProbeResult())
        .matches("unknown host no-such-backend.invalid|timed out after 2s");
  }

  @Test
  void httpCheckGetsItsPathAndJudgesTheStatus() throws Exception {
    AtomicInteger status = new AtomicInteger(200);
    List<String> paths = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          paths.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
          exchange.sendResponseHeaders(status.get(), -1);
          exchange.close();
        });
    server.start();
    closing(() -> server.stop(0));
    String addr = "127.0.0.1:" + server.getAddress().getPort();
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of(addr, ARCH))
                .healthCheck(
                    HealthCheck.http("/healthz")
                        .withInterval(HealthCheck.MIN_INTERVAL)
                        .withTimeout(Duration.ofSeconds(5))
                        .withJitter(0))
                .build());

    awaitHealth(pool, addr, Health.HEALTHY);
    assertThat(paths).first().isEqualTo("GET /healthz");
    assertThat(PoolStatus.of(pool, addr).lastProbeResult()).isEqualTo("HTTP 200");

    status.set(503);
    awaitHealth(pool, addr, Health.UNHEALTHY);
    assertThat(PoolStatus.of(pool, addr).lastProbeResult()).isEqualTo("HTTP 503");

    status.set(204); // any 2xx
    awaitHealth(pool, addr, Health.HEALTHY);
  }

  @Test
  void httpCheckWithAnExpectedStatusTakesOnlyThatOne() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    closing(() -> server.stop(0));
    String addr = "http://127.0.0.1:" + server.getAddress().getPort();
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of(addr, ARCH))
                .healthCheck(
                    HealthCheck.http("/")
                        .withExpectedStatus(204)
                        .withInterval(HealthCheck.MIN_INTERVAL)
                        .withJitter(0))
                .build());

    awaitHealth(pool, addr, Health.UNHEALTHY);
    assertThat(PoolStatus.of(pool, addr).lastProbeResult()).isEqualTo("HTTP 200");
  }

  @Test
  void windowModelIsExactlyKOfN() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-window");
    String addr = "tcp://a:1";
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of(addr, ARCH))
                .healthProbe(probes)
                .healthCheck(probes.check().window(4, 2, 1))
                .build());
    assertThat(health(pool, addr)).isEqualTo(Health.UNKNOWN);

    boolean[] results = {
      true, false, false, false, true, false, true, true, false, false, true, false, false, false
    };
    // The reference: the last 4 results, one assumed success before them, healthy iff >= 2.
    List<Boolean> history = new ArrayList<>(List.of(true));
    for (int i = 0; i < results.length; i++) {
      probes.answer(results[i]);
      history.add(results[i]);
      List<Boolean> window = history.subList(Math.max(0, history.size() - 4), history.size());
      long successes = window.stream().filter(ok -> ok).count();
      Health expected = successes >= 2 ? Health.HEALTHY : Health.UNHEALTHY;
      assertThat(health(pool, addr)).as("after result %d (%s)", i + 1, window).isEqualTo(expected);
    }
  }

  @Test
  void aBackendIsOutUntilItsFirstProbeAnswersAndDoesNotMakeRequestsFailOpen() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-first");
    BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .healthProbe(probes)
                .healthCheck(probes.check())
                .build());
    pool.subscribe(heard::add);

    assertThat(health(pool, "tcp://a:1")).isEqualTo(Health.UNKNOWN);
    assertThat(PoolStatus.of(pool, "tcp://a:1").lastProbe()).isNull();
    assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty();
    CompletableFuture<Lease> waiting =
        pool.acquireAsync(ARCH, Selector.any(), Duration.ofSeconds(30));
    assertThat(waiting).isNotDone();

    probes.answer(true);
    assertThat(waiting.get(10, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://a:1");
    waiting.join().close();
    Eventually.until(
        "HealthChanged",
        () -> heard.stream().anyMatch(PoolEvent.HealthChanged.class::isInstance),
        () -> heard);
    List<PoolEvent> events = new ArrayList<>(heard);
    assertThat(events).noneMatch(PoolEvent.FailOpenEntered.class::isInstance);
    assertThat(events)
        .filteredOn(PoolEvent.HealthChanged.class::isInstance)
        .singleElement()
        .isInstanceOfSatisfying(
            PoolEvent.HealthChanged.class,
            changed -> {
              assertThat(changed.addr()).isEqualTo("tcp://a:1");
              assertThat(changed.from()).isEqualTo(Health.UNKNOWN);
              assertThat(changed.to()).isEqualTo(Health.HEALTHY);
            });
  }

  @Test
  void twoPoolsListingOneBackendShareOneProbeUntilBothLetGo() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-shared");
    BackendPool first =
        BackendPool.builder()
            .backend(Backend.of("tcp://shared:1", ARCH))
            .healthProbe(probes)
            .healthCheck(probes.check())
            .build();
    BackendPool second =
        BackendPool.builder()
            .backend(Backend.of("tcp://shared:1", ARCH).withMaxJobs(9))
            .backend(Backend.of("tcp://other:1", ARCH))
            .healthProbe(probes)
            .healthCheck("tcp://other:1", null)
            .healthCheck(probes.check())
            .build();

    assertThat(probes.created).hasValue(1);
    probes.answer(true);
    assertThat(health(first, "tcp://shared:1")).isEqualTo(Health.HEALTHY);
    assertThat(health(second, "tcp://shared:1")).isEqualTo(Health.HEALTHY);
    assertThat(health(second, "tcp://other:1")).isEqualTo(Health.HEALTHY);

    first.close();
    assertThat(probes.closed).hasValue(0);
    second.close();
    assertThat(probes.closed).hasValue(1);
  }

  @Test
  void twoPoolsProbeARealServerOnce() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requests.incrementAndGet();
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    closing(() -> server.stop(0));
    String addr = "127.0.0.1:" + server.getAddress().getPort();
    Duration interval = Duration.ofMillis(100);
    HealthCheck check = HealthCheck.http("/").withInterval(interval).withJitter(0);
    long started = System.nanoTime();
    BackendPool first =
        closing(BackendPool.builder().backend(Backend.of(addr, ARCH)).healthCheck(check).build());
    BackendPool second =
        closing(BackendPool.builder().backend(Backend.of(addr, ARCH)).healthCheck(check).build());
    awaitHealth(first, addr, Health.HEALTHY);
    awaitHealth(second, addr, Health.HEALTHY);
    Thread.sleep(1_000);
    int counted = requests.get();
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    // One prober makes at most one request per interval (plus the first at once); two would make
    // about twice as many.
    assertThat(counted).isLessThanOrEqualTo((int) (elapsedMillis / interval.toMillis()) + 2);
  }

  @Test
  void anOverrideBeatsTheProbeAndAutoGoesBackToIt() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-override");
    String addr = "tcp://a:1";
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of(addr, ARCH))
                .healthProbe(probes)
                .healthCheck(probes.check().consecutive(1, 1))
                .build());
    probes.answer(true);
    assertThat(health(pool, addr)).isEqualTo(Health.HEALTHY);

    pool.setHealth(addr, HealthOverride.UNHEALTHY);
    probes.answer(true);
    assertThat(health(pool, addr)).isEqualTo(Health.UNHEALTHY);

    probes.answer(false); // observed: unhealthy, under the override
    pool.setHealth(addr, HealthOverride.HEALTHY);
    assertThat(health(pool, addr)).isEqualTo(Health.HEALTHY);
    assertThat(pool.tryAcquire(ARCH, Selector.any())).isPresent().get().satisfies(Lease::close);

    pool.setHealth(addr, HealthOverride.AUTO);
    assertThat(health(pool, addr)).isEqualTo(Health.UNHEALTHY);
    probes.answer(true);
    assertThat(health(pool, addr)).isEqualTo(Health.HEALTHY);
  }

  @Test
  void whenEveryCandidateIsProbedUnhealthyRequestsFailOpenUntilOneRecovers() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-failopen");
    BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .healthProbe(probes)
                .healthCheck(probes.check().consecutive(1, 1))
                .build());
    pool.subscribe(heard::add);
    probes.answer(false);
    assertThat(health(pool, "tcp://a:1")).isEqualTo(Health.UNHEALTHY);

    Optional<Lease> failingOpen = pool.tryAcquire(ARCH, Selector.any());
    assertThat(failingOpen).isPresent();
    failingOpen.get().close();
    probes.answer(true);

    Eventually.until(
        "FailOpenExited",
        () -> heard.stream().anyMatch(PoolEvent.FailOpenExited.class::isInstance),
        () -> heard);
    assertThat(heard.stream().map(event -> event.getClass().getSimpleName()))
        .containsSubsequence("HealthChanged", "FailOpenEntered", "HealthChanged", "FailOpenExited");
  }

  @Test
  void aBackendAddedLaterGetsThePoolWideCheckAndIsProbedAtOnce() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-add");
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .healthProbe(probes)
                .healthCheck(probes.check())
                .build());
    probes.answer(true);

    pool.add(Backend.of("tcp://late:1", ARCH));

    assertThat(probes.created).hasValue(2);
    assertThat(health(pool, "tcp://late:1")).isEqualTo(Health.UNKNOWN);
    // The checks of a and of the newcomer come in any order: answer until the newcomer's is.
    for (int answered = 0;
        answered < 20 && health(pool, "tcp://late:1") != Health.HEALTHY;
        answered++) {
      probes.answer(true);
    }
    assertThat(health(pool, "tcp://late:1")).isEqualTo(Health.HEALTHY);
  }

  @Test
  void removingABackendStopsItsProbe() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-remove");
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .backend(Backend.of("tcp://b:1", ARCH))
                .healthProbe(probes)
                .healthCheck("tcp://a:1", probes.check())
                .build());
    assertThat(probes.created).hasValue(1);

    pool.remove("tcp://a:1");

    assertThat(probes.closed).hasValue(1);
  }

  @Test
  void aProbeThatThrowsOrFailsCountsAsAFailedCheck() throws Exception {
    HealthProbe.Factory throwing =
        new HealthProbe.Factory() {
          @Override
          public String type() {
            return "throwing";
          }

          @Override
          public HealthProbe create(Backend backend, HealthCheck check) {
            AtomicInteger calls = new AtomicInteger();
            return timeout -> {
              if (calls.incrementAndGet() % 2 == 0) {
                throw new IllegalStateException("probe bug");
              }
              return CompletableFuture.failedFuture(new IOException("broken pipe"));
            };
          }
        };
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .healthProbe(throwing)
                .healthCheck(
                    HealthCheck.of("throwing").withInterval(HealthCheck.MIN_INTERVAL).withJitter(0))
                .build());

    awaitHealth(pool, "tcp://a:1", Health.UNHEALTHY);
    Eventually.until(
        "both kinds of failure reported",
        () -> {
          String result = PoolStatus.of(pool, "tcp://a:1").lastProbeResult();
          return result != null
              && (result.equals("IOException: broken pipe")
                  || result.equals("IllegalStateException: probe bug"));
        },
        () -> pool.status());
  }

  @Test
  void aCheckThatCannotProbeItsBackendStopsTheBuild() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of("unix:///run/buildkit/buildkitd.sock", ARCH))
            .healthCheck(HealthCheck.tcp());

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "a tcp health check needs a host:port address, and unix:///run/buildkit/buildkitd.sock"
                + " is not one (unix://); use a probe type that understands it, or no health check for this"
                + " backend (healthCheck: false)");
  }

  @Test
  void anUnknownProbeTypeStopsTheBuild() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", ARCH))
            .healthCheck(HealthCheck.of("tpc"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown health check type \"tpc\" for tcp://a:1, did you mean tcp?");
  }

  @Test
  void aTimedOutProbeFailsWithItsTimeout() throws Exception {
    ControlledProbes never = new ControlledProbes("scripted-never");
    BackendPool pool =
        closing(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .healthProbe(never)
                .healthCheck(
                    HealthCheck.of("scripted-never")
                        .withInterval(HealthCheck.MIN_INTERVAL)
                        .withTimeout(Duration.ofMillis(30))
                        .withJitter(0))
                .build());

    awaitHealth(pool, "tcp://a:1", Health.UNHEALTHY);
    assertThat(PoolStatus.of(pool, "tcp://a:1").lastProbeResult())
        .isEqualTo("timed out after 30ms");
  }
}
