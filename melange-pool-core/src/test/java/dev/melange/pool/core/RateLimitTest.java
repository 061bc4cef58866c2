package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Health;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Priority;
import dev.melange.pool.RateLimit;
import dev.melange.pool.RateLimiterStats;
import dev.melange.pool.Selector;
import dev.melange.pool.spi.CircuitBreaker;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Token buckets per backend, adaptive rates and their stats, driven by an injected ticker. */
class RateLimitTest {
  private static final String ARCH = "x86_64";
  private static final String ADDR = "tcp://a:1";
  private final FakeTicker ticker = new FakeTicker(Long.MAX_VALUE - 100_000_000_000L);
  private final List<BackendPool> pools = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    pools.forEach(BackendPool::close);
  }

  private BackendPool pool(RateLimit limit, int maxJobs) {
    return keep(builder(maxJobs).rateLimit(limit).build());
  }

  /** One backend, the test's ticker. */
  private BackendPool.Builder builder(int maxJobs) {
    return BackendPool.builder()
        .backend(Backend.of(ADDR, ARCH).withMaxJobs(maxJobs))
        .ticker(ticker);
  }

  private BackendPool keep(BackendPool pool) {
    pools.add(pool);
    return pool;
  }

  private static RateLimiterStats stats(BackendPool pool) {
    RateLimiterStats stats = PoolStatus.of(pool, ADDR).rateLimiter();
    assertThat(stats).isNotNull();
    return stats;
  }

  /** Takes and ends a lease at once; false when none was free. */
  private static boolean take(BackendPool pool) {
    Optional<Lease> lease = pool.tryAcquire(ARCH, Selector.any());
    lease.ifPresent(Lease::recordSuccess);
    return lease.isPresent();
  }

  @Test
  void aFullBucketGivesItsBurstThenOneTokenPerIntervalAndNeverMoreThanTheBurst() {
    BackendPool pool = pool(RateLimit.of(10, 3), 100);

    assertThat(take(pool)).isTrue();
    assertThat(take(pool)).isTrue();
    assertThat(take(pool)).isTrue();
    assertThat(take(pool)).as("the burst is spent").isFalse();

    ticker.advance(Duration.ofMillis(99));
    assertThat(take(pool)).as("a token takes 100ms").isFalse();
    ticker.advance(Duration.ofMillis(1));
    assertThat(take(pool)).isTrue();
    assertThat(take(pool)).isFalse();

    ticker.advance(Duration.ofHours(1)); // an idle hour refills to the burst, not beyond
    for (int i = 0; i < 3; i++) {
      assertThat(take(pool)).isTrue();
    }
    assertThat(take(pool)).isFalse();

    RateLimiterStats stats = stats(pool);
    assertThat(stats.accepted()).isEqualTo(7);
    assertThat(stats.rejected()).isGreaterThanOrEqualTo(4);
    assertThat(stats.rate()).isEqualTo(10.0);
    assertThat(stats.configuredRate()).isEqualTo(10.0);
    assertThat(stats.burst()).isEqualTo(3);
    assertThat(stats.availableTokens()).isCloseTo(0, within(1e-9));
    ticker.advance(Duration.ofMillis(150));
    assertThat(stats(pool).availableTokens()).isCloseTo(1.5, within(1e-6));
  }

  @Test
  void burstIsSeparateFromRate() {
    BackendPool pool = pool(RateLimit.of(1, 5), 100);
    int taken = 0;
    while (take(pool)) {
      taken++;
    }
    assertThat(taken).isEqualTo(5);
    ticker.advance(Duration.ofMillis(999));
    assertThat(take(pool)).isFalse();
    ticker.advance(Duration.ofMillis(1));
    assertThat(take(pool)).isTrue();
  }

  @Test
  void aBucketOnlyLimitsLeasesAndSlotsStillApply() {
    BackendPool pool = pool(RateLimit.of(1000, 1000), 2);
    Lease a = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
    Lease b = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
    assertThat(pool.tryAcquire(ARCH, Selector.any())).as("maxJobs 2").isEmpty();
    a.close();
    b.close();
  }

  @Test
  void anAcquireWaitsForATokenInTheQueueAndGetsItWhenItComes() throws Exception {
    BackendPool pool = pool(RateLimit.of(20, 1), 100);
    assertThat(take(pool)).isTrue();

    CompletableFuture<Lease> waiting =
        pool.acquireAsync(
            ARCH, Selector.any(), AcquireOptions.defaults().withTimeout(Duration.ofMinutes(1)));
    assertThat(waiting).isNotDone();
    // The token comes 50ms on by the pool's ticker: the queue's re-check sees it.
    ticker.advance(Duration.ofMillis(50));
    Lease lease = waiting.get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(lease.backend().addr()).isEqualTo(ADDR);
    lease.recordSuccess();
    assertThat(stats(pool).accepted()).isEqualTo(2);
  }

  @Test
  void aCriticalWaiterTakesTheNextTokenAheadOfThoseQueuedBeforeIt() throws Exception {
    BackendPool pool = pool(RateLimit.of(10, 1), 100);
    assertThat(take(pool)).isTrue();
    AcquireOptions wait = AcquireOptions.defaults().withTimeout(Duration.ofMinutes(1));
    CompletableFuture<Lease> normal = pool.acquireAsync(ARCH, Selector.any(), wait);
    CompletableFuture<Lease> critical =
        pool.acquireAsync(ARCH, Selector.any(), wait.withPriority(Priority.CRITICAL));

    ticker.advance(Duration.ofMillis(100)); // one token
    critical.get(20, java.util.concurrent.TimeUnit.SECONDS).recordSuccess();
    assertThat(normal).as("the next token is 100ms away").isNotDone();
    ticker.advance(Duration.ofMillis(100));
    normal.get(20, java.util.concurrent.TimeUnit.SECONDS).recordSuccess();
  }

  @Test
  void aTokenWaitCountsInTheAverageWait() throws Exception {
    BackendPool pool = pool(RateLimit.of(10, 1), 100);
    assertThat(take(pool)).isTrue();
    CompletableFuture<Lease> waiting =
        pool.acquireAsync(
            ARCH, Selector.any(), AcquireOptions.defaults().withTimeout(Duration.ofMinutes(1)));
    ticker.advance(Duration.ofMillis(100));
    waiting.get(20, java.util.concurrent.TimeUnit.SECONDS).recordSuccess();
    // Two leases took tokens: one without waiting, one after 100ms (or a little more).
    assertThat(stats(pool).averageWait()).isBetween(Duration.ofMillis(50), Duration.ofMillis(60));
  }

  @Test
  void aTokenTheBreakerRefusesGoesBackToTheBucket() {
    BackendPool pool =
        keep(
            builder(100)
                .circuitBreaker(new CircuitBreakerPolicy.Consecutive(1, Duration.ofMinutes(1)))
                .rateLimit(RateLimit.of(1, 2))
                .build());
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new IOException("x"));
    assertThat(pool.tryAcquire(ARCH, Selector.any())).as("open").isEmpty();
    assertThat(stats(pool).availableTokens()).isCloseTo(1, within(1e-9));
  }

  @Test
  void anAdaptiveRateFollowsTheCircuit() {
    List<PoolEvent> events = new CopyOnWriteArrayList<>();
    BackendPool pool =
        keep(
            builder(100)
                .circuitBreaker(new CircuitBreakerPolicy.Consecutive(1, Duration.ofSeconds(10)))
                .rateLimit(RateLimit.of(100, 100).withAdaptive(true))
                .build());
    AutoCloseable unused = pool.subscribe(events::add);
    assertThat(stats(pool).rate()).isEqualTo(100.0);

    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new IOException("x"));
    assertThat(PoolStatus.of(pool, ADDR).circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(stats(pool).rate()).isCloseTo(20.0, within(1e-9));

    ticker.advance(Duration.ofSeconds(10));
    Lease trial = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
    assertThat(PoolStatus.of(pool, ADDR).circuitState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(stats(pool).rate()).isCloseTo(50.0, within(1e-9));

    trial.recordSuccess();
    assertThat(stats(pool).rate()).isEqualTo(100.0);
    Eventually.until(
        "rate events",
        () -> events.stream().filter(e -> e instanceof PoolEvent.RateChanged).count() == 3,
        () -> events);
    List<Double> rates =
        events.stream()
            .filter(e -> e instanceof PoolEvent.RateChanged)
            .map(e -> ((PoolEvent.RateChanged) e).to())
            .toList();
    assertThat(rates.get(0)).isCloseTo(20.0, within(1e-9));
    assertThat(rates.get(1)).isCloseTo(50.0, within(1e-9));
    assertThat(rates.get(2)).isCloseTo(100.0, within(1e-9));
  }

  @Test
  void aFixedRateIgnoresTheCircuit() {
    BackendPool pool =
        keep(
            builder(100)
                .circuitBreaker(new CircuitBreakerPolicy.Consecutive(1, Duration.ofSeconds(10)))
                .rateLimit(RateLimit.of(100, 100))
                .build());
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new IOException("x"));
    assertThat(stats(pool).rate()).isEqualTo(100.0);
  }

  @Test
  void anAdaptiveRateFollowsTheHealthScoreOfAWindowCheck() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-rate");
    BackendPool pool =
        keep(
            builder(100)
                .healthProbe(probes)
                .healthCheck(probes.check().window(4, 1, 0))
                .rateLimit(RateLimit.of(100, 100).withAdaptive(true))
                .build());
    probes.answer(true);
    // 1 of 4 passed: a score of 0.25, 45% of the rate.
    assertThat(PoolStatus.of(pool, ADDR).health()).isEqualTo(Health.HEALTHY);
    assertThat(stats(pool).rate()).isCloseTo(45.0, within(1e-9));
    probes.answer(true);
    assertThat(stats(pool).rate()).isCloseTo(80.0, within(1e-9)); // 0.5
    probes.answer(true);
    probes.answer(true);
    assertThat(stats(pool).rate()).isCloseTo(150.0, within(1e-9)); // 1.0
    probes.answer(false);
    assertThat(stats(pool).rate()).isCloseTo(115.0, within(1e-9)); // 0.75
  }

  @Test
  void theHealthCurveIsTheReferenceDocuments() {
    assertThat(RateLimitedCircuitBreaker.healthFactor(1.0)).isCloseTo(1.5, within(1e-12));
    assertThat(RateLimitedCircuitBreaker.healthFactor(0.5)).isCloseTo(0.8, within(1e-12));
    assertThat(RateLimitedCircuitBreaker.healthFactor(0.0)).isCloseTo(0.1, within(1e-12));
    assertThat(RateLimitedCircuitBreaker.healthFactor(0.25)).isCloseTo(0.45, within(1e-12));
    assertThat(RateLimitedCircuitBreaker.healthFactor(Double.NaN)).isEqualTo(1.0);
    assertThat(RateLimitedCircuitBreaker.circuitFactor(CircuitBreaker.State.CLOSED)).isEqualTo(1.0);
    assertThat(RateLimitedCircuitBreaker.circuitFactor(CircuitBreaker.State.HALF_OPEN))
        .isEqualTo(0.5);
    assertThat(RateLimitedCircuitBreaker.circuitFactor(CircuitBreaker.State.OPEN)).isEqualTo(0.2);
  }

  @Test
  void aBackendsOwnLimitBeatsThePoolsAndNullTurnsItOff() {
    BackendPool pool =
        keep(
            BackendPool.builder()
                .backend(Backend.of("tcp://a:1", ARCH))
                .backend(Backend.of("tcp://b:1", ARCH))
                .backend(Backend.of("tcp://c:1", ARCH))
                .ticker(ticker)
                .rateLimit(RateLimit.of(5, 10))
                .rateLimit("tcp://b:1", RateLimit.of(7, 1))
                .rateLimit("tcp://c:1", null)
                .build());
    assertThat(PoolStatus.of(pool, "tcp://a:1").rateLimiter().configuredRate()).isEqualTo(5.0);
    assertThat(PoolStatus.of(pool, "tcp://b:1").rateLimiter().configuredRate()).isEqualTo(7.0);
    assertThat(PoolStatus.of(pool, "tcp://c:1").rateLimiter()).isNull();
  }

  @Test
  void aBackendWithoutALimitReportsNone() {
    BackendPool pool =
        keep(BackendPool.builder().backend(Backend.of(ADDR, ARCH)).ticker(ticker).build());
    assertThat(PoolStatus.of(pool, ADDR).rateLimiter()).isNull();
    assertThat(PoolStatus.of(pool, ADDR).adaptiveLimit()).isNull();
  }
}
