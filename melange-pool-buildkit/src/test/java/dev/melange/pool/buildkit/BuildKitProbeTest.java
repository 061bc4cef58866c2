package dev.melange.pool.buildkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.spi.HealthProbe;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The buildkit probe against real gRPC servers that answer as buildkitd does. */
class BuildKitProbeTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private static HealthProbe.Result check(String addr, Duration timeout) throws Exception {
    try (HealthProbe probe =
        new BuildKitProbeFactory()
            .create(Backend.of(addr, "x86_64"), HealthCheck.of(BuildKitProbeFactory.TYPE))) {
      return probe.check(timeout).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aServingDaemonWithAWorkerIsUpAndSaysWhatItRuns() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/arm64", "linux/amd64")) {
      HealthProbe.Result result = check(daemon.addr(), TIMEOUT);
      assertThat(result.healthy()).isTrue();
      assertThat(result.detail()).isEqualTo("ok: 1 worker, linux/arm64");
    }
  }

  @Test
  void aDaemonWithoutWorkersIsNotReady() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp()) {
      HealthProbe.Result result = check(daemon.addr(), TIMEOUT);
      assertThat(result.healthy()).isFalse();
      assertThat(result.detail()).isEqualTo("no workers");
    }
  }

  @Test
  void aDaemonThatIsNotServingIsDown() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64")) {
      daemon.serving(false);
      HealthProbe.Result result = check(daemon.addr(), TIMEOUT);
      assertThat(result.healthy()).isFalse();
      assertThat(result.detail()).isEqualTo("health: NOT_SERVING");
    }
  }

  @Test
  void anOldDaemonWithoutHealthIsUpWhenItHasAWorker() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.withoutHealth().worker("linux/amd64/v3")) {
      HealthProbe.Result result = check(daemon.addr(), TIMEOUT);
      assertThat(result.healthy()).isTrue();
      assertThat(result.detail()).isEqualTo("ok: 1 worker, linux/amd64/v3");
    }
  }

  @Test
  void aDaemonOnAUnixSocketIsProbed() throws Exception {
    try (FakeBuildKitd daemon =
        FakeBuildKitd.unix(dir.resolve("buildkitd.sock")).worker("linux/amd64")) {
      assertThat(daemon.addr()).startsWith("unix:///");
      assertThat(check(daemon.addr(), TIMEOUT).healthy()).isTrue();
    }
  }

  @Test
  void aDaemonThatComesBackIsSeenAtTheNextChecksNotAtGrpcsNextReconnect() throws Exception {
    FakeBuildKitd first = FakeBuildKitd.tcp().worker("linux/amd64");
    String addr = first.addr();
    int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
    try (HealthProbe probe =
        new BuildKitProbeFactory()
            .create(Backend.of(addr, "x86_64"), HealthCheck.of(BuildKitProbeFactory.TYPE))) {
      assertThat(check(probe).healthy()).isTrue();
      first.close();
      // Down for 5s, probed as a pool would: meanwhile grpc's reconnect backoff grows past 2.5s
      // (1s, 1.6s, 2.56s, ... up to 2 minutes, each ±20%).
      long downUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < downUntil) {
        assertThat(check(probe).healthy()).isFalse();
        Thread.sleep(250);
      }
      try (FakeBuildKitd again = FakeBuildKitd.tcp(port).worker("linux/amd64")) {
        assertThat(again.addr()).isEqualTo(addr);
        // Each check is a connection attempt: the first one after the return reconnects, and the
        // next ones pass; without that, the checks fail fast until grpc's next attempt, seconds on.
        List<Boolean> checks = new ArrayList<>();
        while (checks.size() < 6 && !checks.contains(true)) {
          checks.add(check(probe).healthy());
          Thread.sleep(100);
        }
        assertThat(checks).as("checks after the return").contains(true);
      }
    }
  }

  private static HealthProbe.Result check(HealthProbe probe) throws Exception {
    return probe.check(Duration.ofSeconds(2)).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void nothingListeningIsDownWithGrpcsReason() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    HealthProbe.Result result = check("tcp://127.0.0.1:" + port, TIMEOUT);
    assertThat(result.healthy()).isFalse();
    assertThat(result.detail()).startsWith("health: UNAVAILABLE");
  }

  @Test
  void aListenerThatNeverAnswersTimesOutRatherThanHangs() throws Exception {
    List<Socket> accepted = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(silent.accept()); // accepted, never answered
                  }
                } catch (java.io.IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      HealthProbe.Result result =
          check("tcp://127.0.0.1:" + silent.getLocalPort(), Duration.ofMillis(300));
      assertThat(result.healthy()).isFalse();
      assertThat(result.detail()).isEqualTo("health: DEADLINE_EXCEEDED (no answer within 240ms)");
    } finally {
      for (Socket socket : accepted) {
        socket.close();
      }
    }
  }

  @Test
  void aPoolSaysWhichCallADaemonThatNeverAnswersLeftUnanswered() throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(silent.accept()); // accepted, never answered
                  }
                } catch (java.io.IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      try (BackendPool pool =
          BackendPool.builder()
              .backend(Backend.of("tcp://127.0.0.1:" + silent.getLocalPort(), "x86_64"))
              .healthCheck(
                  HealthCheck.of(BuildKitProbeFactory.TYPE)
                      .withInterval(Duration.ofMillis(100))
                      .withTimeout(Duration.ofSeconds(2))
                      .consecutive(1, 1))
              .build()) {
        awaitHealth(pool, Health.UNHEALTHY);
        // The check's own deadline, four fifths of the timeout, ends before the pool's timer: the
        // check says which call did not answer, not the pool's "timed out after 2s".
        assertThat(status(pool).lastProbeResult())
            .isEqualTo("health: DEADLINE_EXCEEDED (no answer within 1.6s)");
      }
    } finally {
      for (Socket socket : accepted) {
        socket.close();
      }
    }
  }

  @Test
  void aPoolFindsTheProbeByItsTypeAndFollowsTheDaemon() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64");
        BackendPool pool =
            BackendPool.builder()
                .backend(Backend.of(daemon.addr(), "x86_64"))
                .healthCheck(
                    HealthCheck.of(BuildKitProbeFactory.TYPE)
                        .withInterval(Duration.ofMillis(100))
                        .withTimeout(Duration.ofSeconds(5))
                        .consecutive(1, 1))
                .build()) {
      awaitHealth(pool, Health.HEALTHY);
      assertThat(status(pool).lastProbeResult()).isEqualTo("ok: 1 worker, linux/amd64");

      daemon.noWorkers();
      awaitHealth(pool, Health.UNHEALTHY);
      assertThat(status(pool).lastProbeResult()).isEqualTo("no workers");
    }
  }

  @Test
  void yamlNamesTheProbeTypeForABackendOnAUnixSocket() throws Exception {
    try (FakeBuildKitd daemon =
        FakeBuildKitd.unix(dir.resolve("yaml.sock")).worker("linux/arm64/v8")) {
      Path file =
          Files.writeString(
              dir.resolve("backends.yaml"),
              """
              backends:
                - addr: %s
                  arch: aarch64
              healthCheck:
                type: buildkit
                interval: 100ms
                healthyThreshold: 1
              """
                  .formatted(daemon.addr()));
      try (BackendPool pool = BackendPool.fromYaml(file)) {
        awaitHealth(pool, Health.HEALTHY);
        assertThat(status(pool).lastProbeResult()).isEqualTo("ok: 1 worker, linux/arm64/v8");
      }
    }
  }

  @Test
  void aDaemonWhoseInfoNeverAnswersStaysHealthyProbeAfterProbe() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64").infoNeverAnswers();
        BackendPool pool =
            BackendPool.builder()
                .backend(Backend.of(daemon.addr(), "x86_64"))
                .healthCheck(
                    HealthCheck.of(BuildKitProbeFactory.TYPE)
                        .withInterval(Duration.ofMillis(100))
                        .withTimeout(Duration.ofMillis(400))
                        .withJitter(0)
                        .consecutive(1, 1))
                .build()) {
      // From the first pass on (a cold JVM's first connection may take longer than a check may).
      awaitHealth(pool, Health.HEALTHY);
      List<Health> changes = new CopyOnWriteArrayList<>();
      AutoCloseable subscription =
          pool.subscribe(
              event -> {
                if (event instanceof PoolEvent.HealthChanged change) {
                  changes.add(change.to());
                }
              });
      try {
        // Each check asks Info again (the daemon never said its version): the daemon counts them.
        int checks = 20;
        int asked = daemon.infoCalls();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (daemon.infoCalls() < asked + checks && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(daemon.infoCalls() - asked)
            .as("checks that asked Info")
            .isGreaterThanOrEqualTo(checks);
        // One failed check would do it: the unhealthy threshold is 1.
        assertThat(changes).as("health changes over the checks").doesNotContain(Health.UNHEALTHY);
      } finally {
        subscription.close();
      }
      BackendStatus status = status(pool);
      assertThat(status.health()).isEqualTo(Health.HEALTHY);
      assertThat(status.lastProbeResult()).isEqualTo("ok: 1 worker, linux/amd64");
      assertThat(status.daemon()).isNotNull();
      assertThat(status.daemon().version()).as("version").isNull();
      assertThat(status.daemon().archs()).containsExactly("x86_64");
    }
  }

  @Test
  void aDaemonWhoseInfoStopsAnsweringKeepsTheVersionItLastSaid() throws Exception {
    FakeBuildKitd first = FakeBuildKitd.tcp().worker("linux/amd64").version("v0.12.5");
    String addr = first.addr();
    int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
    try (HealthProbe probe =
        new BuildKitProbeFactory()
            .create(Backend.of(addr, "x86_64"), HealthCheck.of(BuildKitProbeFactory.TYPE))) {
      HealthProbe.Result said = check(probe);
      assertThat(said.healthy()).isTrue();
      assertThat(said.daemon()).isNotNull();
      assertThat(said.daemon().version()).isEqualTo("v0.12.5");
      first.close();
      assertThat(check(probe).healthy()).isFalse();
      // Back on a new connection, where Info never answers: asked again, and not in time.
      try (FakeBuildKitd again =
          FakeBuildKitd.tcp(port).worker("linux/amd64").version("v0.13.0").infoNeverAnswers()) {
        HealthProbe.Result back = check(probe);
        for (int tries = 0; !back.healthy() && tries < 5; tries++) {
          Thread.sleep(100);
          back = check(probe);
        }
        assertThat(back.healthy()).as(back.detail()).isTrue();
        assertThat(again.infoCalls()).isPositive();
        assertThat(back.daemon()).isNotNull();
        assertThat(back.daemon().version()).as("not refreshed").isEqualTo("v0.12.5");
      }
    }
  }

  @Test
  void durationsAreWrittenAsGoWritesThem() {
    assertThat(BuildKitProbe.seconds(0)).isEqualTo("0ms");
    assertThat(BuildKitProbe.seconds(TimeUnit.MILLISECONDS.toNanos(240))).isEqualTo("240ms");
    assertThat(BuildKitProbe.seconds(TimeUnit.MILLISECONDS.toNanos(1600))).isEqualTo("1.6s");
    assertThat(BuildKitProbe.seconds(TimeUnit.SECONDS.toNanos(2))).isEqualTo("2s");
    assertThat(BuildKitProbe.seconds(TimeUnit.MILLISECONDS.toNanos(1234))).isEqualTo("1.234s");
  }

  @Test
  void theTimeoutIsSharedSoThatInfoEndsWellBeforeThePoolsTimer() {
    long timeout = TimeUnit.SECONDS.toNanos(2);
    assertThat(BuildKitProbe.callsNanos(timeout)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1600));
    assertThat(BuildKitProbe.infoNanos(timeout)).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    assertThat(BuildKitProbe.callsNanos(1)).isEqualTo(1);
    assertThat(BuildKitProbe.infoNanos(1)).isEqualTo(1);
  }

  @Test
  void helperSchemesAndBadAddressesAreRefusedWhenThePoolIsBuilt() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                BackendPool.builder()
                    .backend(Backend.of("docker-container://buildkitd", "x86_64"))
                    .healthCheck(HealthCheck.of(BuildKitProbeFactory.TYPE))
                    .build())
        .withMessageContaining(
            "buildkit address \"docker-container://buildkitd\": docker-container:// runs a local"
                + " helper program rather than a network connection; expose buildkitd on tcp://"
                + " or unix:// and use that address");
  }

  private static BackendStatus status(BackendPool pool) {
    return pool.status().get(0);
  }

  private static void awaitHealth(BackendPool pool, Health health) throws Exception {
    PoolWaits.await(pool, "health " + health, () -> status(pool).health() == health);
  }
}
