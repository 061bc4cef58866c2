package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.NoBackendAvailableException.Reason;
import dev.melange.pool.PoolException;
import dev.melange.pool.Selector;
import dev.melange.pool.spi.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The rules melange-server's pool lacks or gets wrong, one test each. */
class PoolSemanticsTest {
  private static final Duration LONG = Duration.ofSeconds(30);
  private final FakeTicker ticker = new FakeTicker();

  private BackendPool pool(Backend... backends) {
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofSeconds(10))
            .acquireTimeout(LONG);
    for (Backend backend : backends) {
      builder.backend(backend);
    }
    return builder.build();
  }

  private static Backend one(String addr) {
    return Backend.of(addr, "x86_64").withMaxJobs(1);
  }

  private static Lease take(BackendPool pool) {
    return pool.tryAcquire("x86_64", Selector.any()).orElseThrow();
  }

  @Test
  void aReleaseHandsTheSlotToTheOldestWaiter() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      Lease held = take(pool);
      CompletableFuture<Lease> first = pool.acquireAsync("x86_64", Selector.any(), LONG);
      CompletableFuture<Lease> second = pool.acquireAsync("x86_64", Selector.any(), LONG);
      assertThat(first).isNotDone();
      assertThat(second).isNotDone();

      held.recordSuccess();
      assertThat(first).isCompleted();
      assertThat(second).isNotDone();
      first.join().close();
      assertThat(second).isCompleted();
      second.join().close();
    }
  }

  @Test
  void blockingAcquireWaitsForARelease() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      Lease held = take(pool);
      AtomicReference<Lease> got = new AtomicReference<>();
      CountDownLatch waiting = new CountDownLatch(1);
      Thread waiter =
          new Thread(
              () -> {
                waiting.countDown();
                try {
                  got.set(pool.acquire("x86_64", Selector.any()));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      waiter.start();
      waiting.await();
      held.close();
      waiter.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(got.get()).isNotNull();
      assertThat(pool.status().get(0).activeJobs()).isEqualTo(1);
      got.get().close();
    }
  }

  @Test
  void aWaiterIsServedByTheFirstSlotItCanUseNotBlockedByOlderWaiters() throws Exception {
    try (BackendPool pool =
        pool(
            one("tcp://std:1").withLabels(Map.of("tier", "standard")),
            one("tcp://big:1").withLabels(Map.of("tier", "high-memory")))) {
      Lease std = pool.acquire("x86_64", Selector.parse("tier=standard"));
      Lease big = pool.acquire("x86_64", Selector.parse("tier=high-memory"));
      CompletableFuture<Lease> wantsStd =
          pool.acquireAsync("x86_64", Selector.parse("tier=standard"), LONG);
      CompletableFuture<Lease> wantsBig =
          pool.acquireAsync("x86_64", Selector.parse("tier=high-memory"), LONG);

      big.close();
      assertThat(wantsStd).isNotDone();
      assertThat(wantsBig.join().backend().addr()).isEqualTo("tcp://big:1");
      std.close();
      assertThat(wantsStd.join().backend().addr()).isEqualTo("tcp://std:1");
    }
  }

  @Test
  void addingABackendServesWaiters() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      Lease held = take(pool);
      CompletableFuture<Lease> waiting = pool.acquireAsync("x86_64", Selector.any(), LONG);
      pool.add(one("tcp://b:1"));
      assertThat(waiting.join().backend().addr()).isEqualTo("tcp://b:1");
      held.close();
    }
  }

  @Test
  void unknownArchFailsAtOnceNamingTheArchitectures() {
    try (BackendPool pool = pool(one("tcp://a:1"), Backend.of("tcp://arm:1", "aarch64"))) {
      assertThatThrownBy(() -> pool.acquire("riscv64", Selector.any(), LONG))
          .isInstanceOfSatisfying(
              NoBackendAvailableException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_ARCH))
          .hasMessage(
              "no available backend: no backend has arch \"riscv64\" (architectures: x86_64,"
                  + " aarch64)");
      assertThat(pool.acquireAsync("riscv64", Selector.any(), LONG)).isCompletedExceptionally();
      assertThat(pool.tryAcquire("riscv64", Selector.any())).isEmpty();
    }
  }

  @Test
  void aSelectorNoBackendMatchesFailsAtOnce() {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      assertThatThrownBy(() -> pool.acquire("x86_64", Selector.parse("gpu"), LONG))
          .isInstanceOfSatisfying(
              NoBackendAvailableException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NO_MATCHING_BACKEND))
          .hasMessage("no available backend: no x86_64 backend matches selector \"gpu\"");
      assertThat(pool.tryAcquire("x86_64", Selector.parse("gpu"))).isEmpty();
    }
  }

  @Test
  void aTimedOutAcquireSaysAllAreBusy() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      Lease held = take(pool);
      assertThatThrownBy(() -> pool.acquire("x86_64", Selector.any(), Duration.ofMillis(20)))
          .isInstanceOfSatisfying(
              NoBackendAvailableException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NO_CAPACITY))
          .hasMessageStartingWith(
              "no available backend: all backends are at capacity or circuit-open");
      CompletableFuture<Lease> async =
          pool.acquireAsync("x86_64", Selector.any(), Duration.ofMillis(20));
      assertThatThrownBy(async::join)
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(NoBackendAvailableException.class);
      // Neither timed-out waiter keeps a place in line.
      held.close();
      assertThat(pool.status().get(0).activeJobs()).isZero();
    }
  }

  @Test
  void aNegativeTimeoutIsRefused() {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      assertThatThrownBy(() -> pool.acquire("x86_64", Selector.any(), Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeout must be >= 0, was -1s");
    }
  }

  @Test
  void halfOpenAdmitsExactlyOneTrial() throws Exception {
    try (BackendPool pool = pool(Backend.of("tcp://a:1", "x86_64").withMaxJobs(4))) {
      take(pool).recordFailure(new RuntimeException("down"));
      ticker.advance(Duration.ofSeconds(10));
      Lease trial = take(pool);
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      assertThat(pool.status().get(0).circuitOpen()).isTrue();
      trial.recordSuccess();
      assertThat(pool.status().get(0).circuitOpen()).isFalse();
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        leases.add(take(pool));
      }
      leases.forEach(Lease::close);
    }
  }

  @Test
  void aFailedTrialReopensForAFullRecoveryTimeout() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      take(pool).recordFailure(new RuntimeException("down"));
      ticker.advance(Duration.ofSeconds(10));
      take(pool).recordFailure(new RuntimeException("still down"));
      assertThat(pool.status().get(0).failures()).isEqualTo(2);
      ticker.advance(Duration.ofSeconds(9));
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      ticker.advance(Duration.ofSeconds(1));
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isPresent();
    }
  }

  @Test
  void aTrialEndedWithNoOutcomeFreesTheTrial() throws Exception {
    try (BackendPool pool = pool(Backend.of("tcp://a:1", "x86_64").withMaxJobs(4))) {
      take(pool).recordFailure(new RuntimeException("down"));
      ticker.advance(Duration.ofSeconds(10));
      take(pool).close();
      assertThat(pool.status().get(0).circuitOpen()).isTrue();
      Lease next = take(pool);
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      next.recordSuccess();
      assertThat(pool.status().get(0).circuitOpen()).isFalse();
    }
  }

  @Test
  void outcomesOfLeasesGrantedBeforeTheCircuitOpenedDoNotCloseIt() throws Exception {
    try (BackendPool pool = pool(Backend.of("tcp://a:1", "x86_64").withMaxJobs(4))) {
      Lease early = take(pool);
      take(pool).recordFailure(new RuntimeException("down"));
      assertThat(pool.status().get(0).circuitOpen()).isTrue();
      early.recordSuccess();
      assertThat(pool.status().get(0).circuitOpen()).isTrue();
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
    }
  }

  @Test
  void aLeaseEndsOnceWhateverEndsIt() throws Exception {
    try (BackendPool pool = pool(Backend.of("tcp://a:1", "x86_64").withMaxJobs(2))) {
      Lease lease = take(pool);
      Lease other = take(pool);
      lease.close();
      lease.close();
      lease.recordFailure(new RuntimeException("late"));
      lease.recordSuccess();
      BackendStatus status = pool.status().get(0);
      assertThat(status.activeJobs()).isEqualTo(1);
      assertThat(status.failures()).isZero();
      other.close();
      other.close();
      assertThat(pool.status().get(0).activeJobs()).isZero();
    }
  }

  @Test
  void aRemovedBackendDrainsAndItsLateReleaseSparesTheNewIncarnation() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"), one("tcp://b:1"))) {
      Lease old = take(pool);
      assertThat(old.backend().addr()).isEqualTo("tcp://a:1");
      pool.remove("tcp://a:1");
      assertThat(take(pool).backend().addr()).isEqualTo("tcp://b:1");
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();

      pool.add(one("tcp://a:1"));
      Lease fresh = take(pool);
      assertThat(fresh.backend().addr()).isEqualTo("tcp://a:1");
      old.recordFailure(new RuntimeException("late"));
      BackendStatus readded = pool.status().get(1);
      assertThat(readded.addr()).isEqualTo("tcp://a:1");
      assertThat(readded.activeJobs()).isEqualTo(1);
      assertThat(readded.failures()).isZero();
      assertThat(readded.circuitOpen()).isFalse();
    }
  }

  @Test
  void addHonoursTheBackendsOwnMaxJobs() {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      pool.add(Backend.of("tcp://b:1", "aarch64").withMaxJobs(6));
      assertThat(pool.status().get(1).maxJobs()).isEqualTo(6);
    }
  }

  @Test
  void removingTheOnlyBackendOfAnArchFailsItsWaiters() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"), one("tcp://arm:1").withLabels(Map.of()))) {
      pool.remove("tcp://arm:1");
      pool.add(Backend.of("tcp://arm:1", "aarch64").withMaxJobs(1));
      Lease held = pool.acquire("aarch64", Selector.any());
      CompletableFuture<Lease> waiting = pool.acquireAsync("aarch64", Selector.any(), LONG);
      pool.remove("tcp://arm:1");
      assertThatThrownBy(waiting::join)
          .hasCauseInstanceOf(NoBackendAvailableException.class)
          .hasMessageContaining("no backend has arch \"aarch64\"");
      held.close();
    }
  }

  @Test
  void closeFailsWaitersAndLaterAcquires() throws Exception {
    BackendPool pool = pool(one("tcp://a:1"));
    Lease held = take(pool);
    CompletableFuture<Lease> waiting = pool.acquireAsync("x86_64", Selector.any(), LONG);
    pool.close();
    assertThatThrownBy(waiting::join)
        .hasCauseInstanceOf(NoBackendAvailableException.class)
        .hasMessageContaining("the pool is closed");
    assertThatThrownBy(() -> pool.acquire("x86_64", Selector.any()))
        .isInstanceOfSatisfying(
            NoBackendAvailableException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.POOL_CLOSED));
    assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
    assertThatThrownBy(() -> pool.add(one("tcp://b:1"))).isInstanceOf(PoolException.class);
    held.recordSuccess();
    assertThat(pool.status().get(0).activeJobs()).isZero();
    pool.close();
  }

  @Test
  void cancellingAnAsyncAcquireGivesUpItsPlace() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      Lease held = take(pool);
      CompletableFuture<Lease> cancelled = pool.acquireAsync("x86_64", Selector.any(), LONG);
      CompletableFuture<Lease> next = pool.acquireAsync("x86_64", Selector.any(), LONG);
      cancelled.cancel(false);
      held.close();
      assertThat(next).isCompleted();
      next.join().close();
      assertThat(pool.status().get(0).activeJobs()).isZero();
    }
  }

  @Test
  void anInterruptedWaiterHoldsNothing() throws Exception {
    try (BackendPool pool = pool(one("tcp://a:1"))) {
      Lease held = take(pool);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread waiter =
          new Thread(
              () -> {
                try {
                  pool.acquire("x86_64", Selector.any());
                } catch (Throwable t) {
                  thrown.set(t);
                }
              });
      waiter.start();
      waiter.interrupt();
      waiter.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
      held.close();
      assertThat(pool.status().get(0).activeJobs()).isZero();
      assertThat(take(pool)).isNotNull();
    }
  }

  @Test
  void aWaiterGetsTheTrialWhenTheCircuitRecovers() throws Exception {
    // The recheck runs on real time; the circuit's clock is the system ticker here.
    try (BackendPool pool =
        BackendPool.builder()
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofMillis(50))
            .backend(one("tcp://a:1"))
            .build()) {
      take(pool).recordFailure(new RuntimeException("down"));
      CompletableFuture<Lease> waiting = pool.acquireAsync("x86_64", Selector.any(), LONG);
      Lease trial = waiting.get(30, TimeUnit.SECONDS);
      trial.recordSuccess();
      assertThat(pool.status().get(0).circuitOpen()).isFalse();
    }
  }

  @Test
  void theConfiguredCircuitBreakerIsUsed() throws Exception {
    AtomicInteger created = new AtomicInteger();
    CircuitBreaker refuseAll = ScriptedCircuitBreaker.alwaysOpen();
    try (BackendPool pool =
        BackendPool.builder()
            .circuitBreaker(
                (backend, t) -> {
                  created.incrementAndGet();
                  return refuseAll;
                })
            .backend(one("tcp://a:1"))
            .build()) {
      assertThat(created).hasValue(1);
      Optional<Lease> lease = pool.tryAcquire("x86_64", Selector.any());
      assertThat(lease).isEmpty();
      assertThat(pool.status().get(0).circuitOpen()).isTrue();
    }
  }

  @Test
  void maxJobsHasASaneUpperBound() {
    assertThatThrownBy(() -> Backend.of("tcp://a:1", "x86_64").withMaxJobs(1_000_001))
        .hasMessage("maxJobs must be <= 1000000, was 1000001");
    assertThatThrownBy(() -> BackendPool.builder().defaultMaxJobs(1_000_001))
        .hasMessage("defaultMaxJobs must be <= 1000000, was 1000001");
    try (BackendPool pool = pool(Backend.of("tcp://a:1", "x86_64").withMaxJobs(1_000_000))) {
      assertThat(pool.totalCapacity()).isEqualTo(1_000_000);
    }
  }

  @Test
  void builderSettingsNameTheBadValue() {
    BackendPool.Builder builder = BackendPool.builder();
    assertThatThrownBy(() -> builder.defaultMaxJobs(0))
        .hasMessage("defaultMaxJobs must be >= 1, was 0");
    assertThatThrownBy(() -> builder.failureThreshold(-2))
        .hasMessage("failureThreshold must be >= 1, was -2");
    assertThatThrownBy(() -> builder.recoveryTimeout(Duration.ofSeconds(-1)))
        .hasMessage("recoveryTimeout must be >= 0, was -1s");
    assertThatThrownBy(() -> builder.acquireTimeout(Duration.ofSeconds(-1)))
        .hasMessage("acquireTimeout must be >= 0, was -1s");
  }
}
