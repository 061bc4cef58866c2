package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.core.health.HealthMonitor;
import dev.melange.pool.core.health.MonitorKey;
import dev.melange.pool.core.health.TcpProbe;
import dev.melange.pool.spi.HealthProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of the health-check / reload change: each test shows one defect found in review, and fails
 * while the defect is there.
 */
class HealthAndReloadRacesTest {
  private static final String X86 = "x86_64";
  private static final String ARM = "aarch64";

  @TempDir Path dir;

  /**
   * A reload publishes its topology before it tells listeners, so that whether an arch is down is
   * judged with the backends it adds: an arch that was down and gets a ready backend is told
   * Recovered, as add() tells it.
   */
  @Test
  void aReloadThatGivesADownArchAReadyBackendTellsRecovered() throws Exception {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", X86))
            .backend(Backend.of("tcp://b:1", ARM))
            .build()) {
      BlockingQueue<PoolEvent> events = new LinkedBlockingQueue<>();
      AutoCloseable unused = pool.subscribe(events::add);
      pool.cordon("tcp://a:1");
      awaitEvent(events, e -> e instanceof PoolEvent.AllDown down && down.arch().equals(X86));

      pool.reload(
          BackendPool.builder()
              .backend(Backend.of("tcp://a:1", X86))
              .backend(Backend.of("tcp://b:1", ARM))
              .backend(Backend.of("tcp://c:1", X86)));

      try (Lease lease = pool.acquire(X86, Selector.any(), Duration.ZERO)) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://c:1");
      }
      PoolEvent recovered =
          pollEvent(events, e -> e instanceof PoolEvent.Recovered r && r.arch().equals(X86), 3_000);
      assertThat(recovered).as("Recovered(x86_64) after the reload added tcp://c:1").isNotNull();
    }
  }

  /**
   * Closing the pool (the last follower of a check) cancels the check in flight, so that a tcp
   * probe to a black-holed backend does not keep its socket until the OS gives up on the connect.
   */
  @Test
  void closingThePoolEndsTheCheckInFlight() throws Exception {
    ControlledProbes probes = new ControlledProbes("held-close");
    HealthCheck check =
        HealthCheck.of(probes.type)
            .withInterval(Duration.ofSeconds(30))
            .withTimeout(Duration.ofMillis(300))
            .withJitter(0);
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://held-close:1", X86))
            .healthProbe(probes)
            .healthCheck(check)
            .build();
    CompletableFuture<HealthProbe.Result> inFlight = probes.started();
    pool.close();

    assertThat(probes.closed).hasValue(1);
    assertThat(inFlight).as("the check in flight when its probe stopped").isCancelled();
  }

  /**
   * No check starts on a probe once its monitor stopped and closed it (HealthProbe's contract): the
   * monitor starts a check under the lock that stop() takes. Stress: monitors stopped at a random
   * moment around their first check, which start() schedules at once (the interval, at its
   * shortest, leaves no second check within the run).
   */
  @Test
  void noCheckStartsAfterTheMonitorStopped() throws Exception {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    HealthCheck check =
        HealthCheck.tcp()
            .withInterval(HealthCheck.MIN_INTERVAL)
            .withTimeout(Duration.ofSeconds(10));
    AtomicInteger late = new AtomicInteger();
    int runs = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    try {
      while (System.nanoTime() < deadline && late.get() == 0) {
        runs++;
        AtomicBoolean closed = new AtomicBoolean();
        HealthProbe probe =
            new HealthProbe() {
              @Override
              public CompletionStage<Result> check(Duration timeout) {
                if (closed.get()) {
                  late.incrementAndGet();
                }
                return CompletableFuture.completedFuture(Result.up());
              }

              @Override
              public void close() {
                closed.set(true);
              }
            };
        HealthMonitor monitor =
            new HealthMonitor(
                new MonitorKey("tcp://stress:" + runs, null, check, TcpProbe.FACTORY),
                probe,
                scheduler,
                null);
        monitor.start();
        long spin = System.nanoTime() + ThreadLocalRandom.current().nextLong(0, 200_000);
        while (System.nanoTime() < spin) {
          Thread.onSpinWait();
        }
        monitor.stop();
        // Let a check that got past the stopped test reach probe.check().
        if (runs % 64 == 0) {
          Thread.sleep(1);
        }
      }
      Thread.sleep(50);
    } finally {
      scheduler.shutdownNow();
    }
    assertThat(late.get())
        .as("checks started on a probe its monitor had closed, in %d monitors stopped", runs)
        .isZero();
  }

  /**
   * The watch compares with the file's state from just before the pool read it, so a change written
   * while a reload runs (here, while it makes a probe) is reloaded after it.
   */
  @Test
  void aChangeWrittenDuringAReloadIsReloadedByTheWatch() throws Exception {
    Path file = dir.resolve("backends.yaml");
    String first =
        """
        watch: true
        backends:
          - addr: tcp://a:1
            arch: x86_64
          - addr: tcp://n:1
            arch: x86_64
            healthCheck: {type: writes-file}
        """;
    String second = first + "  - addr: tcp://late:1\n    arch: x86_64\n";
    AtomicBoolean written = new AtomicBoolean();
    HealthProbe.Factory writer =
        new HealthProbe.Factory() {
          @Override
          public String type() {
            return "writes-file";
          }

          @Override
          public HealthProbe create(Backend backend, HealthCheck check) {
            if (written.compareAndSet(false, true)) {
              try {
                Files.writeString(file, second); // an operator saves again, mid-reload
              } catch (IOException e) {
                throw new AssertionError(e);
              }
            }
            return timeout -> new CompletableFuture<>();
          }
        };
    Files.writeString(file, first);
    try (BackendPool pool =
        BackendPool.builder().backend(Backend.of("tcp://a:1", X86)).healthProbe(writer).build()) {
      pool.reload(file);
      assertThat(written).isTrue();
      assertThat(Files.readString(file)).contains("tcp://late:1");

      Eventually.until(
          "tcp://late:1, which the watched file lists",
          () -> pool.backends().stream().anyMatch(b -> b.addr().equals("tcp://late:1")),
          pool::backends);
    }
  }

  /**
   * A build that fails after a first probe answered (which starts the half-built pool's timer)
   * stops that timer: nothing else could, since no pool is returned.
   */
  @Test
  void aBuildThatFailsLeavesNoTimerThread() throws Exception {
    Set<Thread> before = timerThreads();
    AtomicInteger checked = new AtomicInteger();
    HealthProbe.Factory answersAtOnce =
        new HealthProbe.Factory() {
          @Override
          public String type() {
            return "answers-at-once";
          }

          @Override
          public HealthProbe create(Backend backend, HealthCheck check) {
            return timeout -> {
              checked.incrementAndGet();
              return CompletableFuture.completedFuture(HealthProbe.Result.down("no"));
            };
          }
        };
    HealthProbe.Factory refuses =
        new HealthProbe.Factory() {
          @Override
          public String type() {
            return "refuses";
          }

          @Override
          public HealthProbe create(Backend backend, HealthCheck check) {
            // Give the first backend's answer time to arrive (it does within milliseconds).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline
                && (checked.get() == 0 || newTimerThreads(before).isEmpty())) {
              Thread.onSpinWait();
            }
            throw new IllegalArgumentException("cannot probe " + backend.addr());
          }
        };
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of("tcp://first:1", X86))
            .backend(Backend.of("tcp://second:1", X86))
            .healthProbe(answersAtOnce)
            .healthProbe(refuses)
            .healthCheck(HealthCheck.of("answers-at-once").withInterval(Duration.ofHours(1)))
            .healthCheck("tcp://second:1", HealthCheck.of("refuses"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot probe tcp://second:1");

    Eventually.until(
        "no timer thread of a pool that was never built",
        () -> newTimerThreads(before).isEmpty(),
        () -> newTimerThreads(before));
  }

  /**
   * A removed backend takes no more observations: one its monitor had already set out to deliver
   * when the backend was removed is ignored, not told as a HealthChanged after BackendRemoved.
   */
  @Test
  void noHealthChangeIsToldForABackendAfterItsRemoval() throws Exception {
    ControlledProbes probes = new ControlledProbes("held-remove");
    HealthCheck check =
        HealthCheck.of(probes.type)
            .withInterval(HealthCheck.MIN_INTERVAL)
            .withTimeout(Duration.ofMinutes(1))
            .withJitter(0)
            .consecutive(1, 1);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", X86))
            .backend(Backend.of("tcp://b:1", X86))
            .healthProbe(probes)
            .healthCheck(check)
            .healthCheck("tcp://b:1", null)
            .build()) {
      probes.started().complete(HealthProbe.Result.up());
      Eventually.until(
          "a healthy",
          () -> PoolStatus.of(pool, "tcp://a:1").health().name().equals("HEALTHY"),
          pool::status);
      CompletableFuture<HealthProbe.Result> second = probes.started();

      List<PoolEvent> events = new CopyOnWriteArrayList<>();
      AutoCloseable unused = pool.subscribe(events::add);
      Slot slot = ((LocalBackendPool) pool).topology().find("tcp://a:1");
      assertThat(slot).isNotNull();

      Thread answering;
      synchronized (slot.health) {
        // The monitor takes the result and sets out to tell the slot, which waits on its health's
        // lock.
        answering = new Thread(() -> second.complete(HealthProbe.Result.down("gone")));
        answering.start();
        Eventually.until(
            "the answer waiting for the slot",
            () -> answering.getState() == Thread.State.BLOCKED,
            answering::getState);
        pool.remove("tcp://a:1");
      }
      answering.join(10_000);
      // Events are told in order on one thread: once this later one arrives, a HealthChanged told
      // by the answer would have arrived before it.
      pool.cordon("tcp://b:1");
      Eventually.until(
          "the cordon's event",
          () -> events.stream().anyMatch(PoolEvent.AdminStateChanged.class::isInstance),
          () -> events);

      List<String> told =
          events.stream()
              .filter(
                  e ->
                      (e instanceof PoolEvent.BackendRemoved r && r.addr().equals("tcp://a:1"))
                          || (e instanceof PoolEvent.HealthChanged h
                              && h.addr().equals("tcp://a:1")))
              .map(e -> e.getClass().getSimpleName())
              .collect(Collectors.toList());
      assertThat(told).as("events about tcp://a:1").containsExactly("BackendRemoved");
    }
  }

  /**
   * A backend that a reload set draining, listed again by a later reload, takes leases again and is
   * not removed when its last lease ends: the pool keeps every backend its configuration lists (an
   * accidental edit undone, say, with nothing left to add it back).
   */
  @Test
  void aBackendListedAgainByAReloadIsNotRemovedByTheDrainOfAnEarlierReload() throws Exception {
    Backend a = Backend.of("tcp://a:1", X86);
    Backend b = Backend.of("tcp://b:1", X86).withLabels(java.util.Map.of("name", "b"));
    try (BackendPool pool = BackendPool.builder().backend(a).backend(b).build()) {
      Lease onB = pool.acquire(X86, Selector.parse("name=b"));
      pool.reload(BackendPool.builder().backend(a)); // b drains
      pool.reload(BackendPool.builder().backend(a).backend(b)); // b is listed again

      assertThat(PoolStatus.of(pool, "tcp://b:1").adminState()).isEqualTo(AdminState.READY);
      onB.close();
      // A drain's end runs on the pool's timer, in order: once a task queued after the release
      // has run, a drain that had gone on would have ended.
      CompletableFuture<Void> timerPassed = new CompletableFuture<>();
      Future<?> unused = ((LocalBackendPool) pool).schedule(() -> timerPassed.complete(null), 0);
      timerPassed.get(10, TimeUnit.SECONDS);
      assertThat(pool.backends())
          .as("the backends of a pool whose configuration lists a and b")
          .extracting(Backend::addr)
          .containsExactly("tcp://a:1", "tcp://b:1");
    }
  }

  private static Set<Thread> timerThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("melange-pool-timer-") && t.isAlive())
        .collect(Collectors.toSet());
  }

  private static List<Thread> newTimerThreads(Set<Thread> before) {
    List<Thread> now = new ArrayList<>(timerThreads());
    now.removeAll(before);
    return now;
  }

  private static void awaitEvent(
      BlockingQueue<PoolEvent> events, java.util.function.Predicate<PoolEvent> wanted)
      throws InterruptedException {
    assertThat(pollEvent(events, wanted, 10_000)).as("event").isNotNull();
  }

  private static PoolEvent pollEvent(
      BlockingQueue<PoolEvent> events, java.util.function.Predicate<PoolEvent> wanted, long millis)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      PoolEvent event = events.poll(left, TimeUnit.NANOSECONDS);
      if (event != null && wanted.test(event)) {
        return event;
      }
    }
  }
}
