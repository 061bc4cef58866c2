package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Adaptive concurrency limits (AIMD and Gradient2), driven by an injected ticker. */
class AdaptiveLimitTest {
  private static final String ARCH = "x86_64";
  private static final String ADDR = "tcp://a:1";
  private final FakeTicker ticker = new FakeTicker();
  private final List<BackendPool> pools = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    pools.forEach(BackendPool::close);
  }

  private BackendPool pool(int maxJobs, AdaptiveLimit limit) {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of(ADDR, ARCH).withMaxJobs(maxJobs))
            .ticker(ticker)
            .failureThreshold(1_000_000) // the limit's backoff, not the circuit, is under test
            .adaptiveLimit(limit)
            .build();
    pools.add(pool);
    return pool;
  }

  private static int limit(BackendPool pool) {
    BackendStatus status = PoolStatus.of(pool, ADDR);
    assertThat(status.adaptiveLimit()).isNotNull();
    assertThat(status.effectiveMaxJobs()).isEqualTo(status.adaptiveLimit());
    return status.adaptiveLimit();
  }

  /** Every lease the backend gives now. */
  private static List<Lease> fill(BackendPool pool) {
    List<Lease> leases = new ArrayList<>();
    for (Optional<Lease> lease = pool.tryAcquire(ARCH, Selector.any());
        lease.isPresent();
        lease = pool.tryAcquire(ARCH, Selector.any())) {
      leases.add(lease.get());
    }
    return leases;
  }

  /** Fills the backend, holds every lease for {@code held}, ends them all successfully. */
  private void round(BackendPool pool, Duration held) {
    List<Lease> leases = fill(pool);
    ticker.advance(held);
    leases.forEach(Lease::recordSuccess);
  }

  @Test
  void aimdStartsAtMaxJobsAndBacksOffByATenthOnEachFailureDownToMin() {
    BackendPool pool = pool(20, AdaptiveLimit.aimd(5));
    assertThat(limit(pool)).isEqualTo(20);
    assertThat(fill(pool)).hasSize(20).allSatisfy(Lease::close);

    int[] expected = {18, 16, 14, 12, 10, 9, 8, 7, 6, 5, 5};
    for (int next : expected) {
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
      assertThat(limit(pool)).isEqualTo(next);
    }
    assertThat(fill(pool)).as("the limit is what the pool gives").hasSize(5);
    assertThat(PoolStatus.of(pool, ADDR).maxJobs()).as("as configured").isEqualTo(20);
    assertThat(pool.totalCapacity()).as("as configured").isEqualTo(20);
  }

  @Test
  void aimdGrowsByOneAfterAWindowOfSuccessesWhileTheBackendIsBusy() {
    BackendPool pool = pool(10, AdaptiveLimit.aimd(1));
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    assertThat(limit(pool)).isEqualTo(9);

    // Nine leases out; each success is replaced at once, so the backend stays busy.
    List<Lease> out = fill(pool);
    assertThat(out).hasSize(9);
    for (int i = 0; i < 8; i++) {
      out.remove(0).recordSuccess();
      out.add(pool.tryAcquire(ARCH, Selector.any()).orElseThrow());
      assertThat(limit(pool)).as("after %d successes", i + 1).isEqualTo(9);
    }
    out.remove(0).recordSuccess();
    assertThat(limit(pool)).as("a window of 9 successes").isEqualTo(10);
    out.forEach(Lease::close);
  }

  @Test
  void aimdDoesNotGrowWhileTheBackendUsesLessThanHalfItsLimit() {
    BackendPool pool = pool(10, AdaptiveLimit.aimd(1));
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    for (int i = 0; i < 100; i++) {
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordSuccess();
    }
    assertThat(limit(pool)).isEqualTo(9);
  }

  @Test
  void aimdCountsALeaseHeldPastTheLatencyThresholdAsAFailure() {
    BackendPool pool = pool(10, AdaptiveLimit.aimd(1).withLatencyThreshold(Duration.ofSeconds(5)));
    Lease fast = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
    ticker.advance(Duration.ofSeconds(5));
    fast.recordSuccess();
    assertThat(limit(pool)).isEqualTo(10);
    Lease slow = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
    ticker.advance(Duration.ofSeconds(6));
    slow.recordSuccess();
    assertThat(limit(pool)).isEqualTo(9);
  }

  @Test
  void gradientShrinksWhenLeasesSlowDownAndGrowsBackWhenTheyRecover() {
    BackendPool pool = pool(20, AdaptiveLimit.gradient(2));
    for (int i = 0; i < 5; i++) {
      round(pool, Duration.ofMillis(100));
    }
    assertThat(limit(pool)).as("steady latency keeps the limit").isEqualTo(20);

    for (int i = 0; i < 5; i++) {
      round(pool, Duration.ofSeconds(1));
    }
    int shrunk = limit(pool);
    assertThat(shrunk).as("ten times slower").isLessThan(12).isGreaterThanOrEqualTo(2);

    for (int i = 0; i < 40; i++) {
      round(pool, Duration.ofMillis(100));
    }
    assertThat(limit(pool)).as("recovered").isEqualTo(20);
  }

  @Test
  void gradientBacksOffOnFailuresAndStopsAtMin() {
    BackendPool pool = pool(20, AdaptiveLimit.gradient(3));
    for (int i = 0; i < 30; i++) {
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    }
    assertThat(limit(pool)).isEqualTo(3);
  }

  @Test
  void eachMoveOfTheLimitIsAnEvent() {
    BackendPool pool = pool(4, AdaptiveLimit.aimd(1));
    List<PoolEvent> events = new CopyOnWriteArrayList<>();
    AutoCloseable unused = pool.subscribe(events::add);
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    Eventually.until(
        "two limit events",
        () -> events.stream().filter(e -> e instanceof PoolEvent.LimitChanged).count() == 2,
        () -> events);
    List<String> moves =
        events.stream()
            .filter(e -> e instanceof PoolEvent.LimitChanged)
            .map(e -> (PoolEvent.LimitChanged) e)
            .map(e -> e.addr() + " " + e.from() + "->" + e.to())
            .toList();
    assertThat(moves).containsExactly(ADDR + " 4->3", ADDR + " 3->2");
  }

  @Test
  void aReloadCapsTheLimitToANewMaxJobsAndCanTurnItOff() {
    BackendPool pool = pool(10, AdaptiveLimit.aimd(1));
    pool.reload(
        BackendPool.builder()
            .backend(Backend.of(ADDR, ARCH).withMaxJobs(6))
            .ticker(ticker)
            .failureThreshold(1_000_000)
            .adaptiveLimit(AdaptiveLimit.aimd(1)));
    assertThat(limit(pool)).isEqualTo(6);
    assertThat(PoolStatus.of(pool, ADDR).maxJobs()).isEqualTo(6);

    pool.reload(
        BackendPool.builder()
            .backend(Backend.of(ADDR, ARCH).withMaxJobs(8))
            .ticker(ticker)
            .failureThreshold(1_000_000));
    BackendStatus status = PoolStatus.of(pool, ADDR);
    assertThat(status.adaptiveLimit()).isNull();
    assertThat(status.effectiveMaxJobs()).isEqualTo(8);
    assertThat(fill(pool)).hasSize(8);
  }

  @Test
  void aReloadCanAddAnAdaptiveLimitToARunningBackend() {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of(ADDR, ARCH).withMaxJobs(10))
            .ticker(ticker)
            .build();
    pools.add(pool);
    pool.reload(
        BackendPool.builder()
            .backend(Backend.of(ADDR, ARCH).withMaxJobs(10))
            .ticker(ticker)
            .adaptiveLimit(AdaptiveLimit.aimd(1)));
    assertThat(limit(pool)).isEqualTo(10);
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    assertThat(limit(pool)).isEqualTo(9);
  }

  private static IOException boom() {
    return new IOException("boom");
  }
}
