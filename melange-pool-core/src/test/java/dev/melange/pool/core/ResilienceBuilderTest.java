package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.CallStats;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.RateLimit;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.Selector;
import dev.melange.pool.core.breaker.ConsecutiveFailuresCircuitBreaker;
import dev.melange.pool.core.config.ResilienceSettings;
import dev.melange.pool.spi.CircuitBreaker;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Presets, modes and limits through the builder, reloads of them, and their status. */
class ResilienceBuilderTest {
  private static final String ARCH = "x86_64";
  private static final String A = "tcp://a:1";
  private static final String B = "tcp://b:1";
  private final FakeTicker ticker = new FakeTicker();
  private final List<BackendPool> pools = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    pools.forEach(BackendPool::close);
    ResilienceSettings.environment = System::getenv;
  }

  private BackendPool.Builder builder() {
    return BackendPool.builder()
        .backend(Backend.of(A, ARCH).withMaxJobs(50))
        .backend(Backend.of(B, ARCH).withMaxJobs(50))
        .ticker(ticker);
  }

  private BackendPool build(BackendPool.Builder builder) {
    BackendPool pool = builder.build();
    pools.add(pool);
    return pool;
  }

  @Test
  void settingsForUnknownBackendsAreRefusedNamingTheAddress() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> builder().rateLimit("tcp://zz:1", RateLimit.of(1, 1)).build())
        .withMessage("rateLimit is given for tcp://zz:1, which is not a backend");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> builder().adaptiveLimit("tcp://zz:1", null).build())
        .withMessage("adaptiveLimit is given for tcp://zz:1, which is not a backend");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> builder().policy("tcp://zz:1", ResiliencePreset.NETWORK).build())
        .withMessage("policy is given for tcp://zz:1, which is not a backend");
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                builder()
                    .circuitBreaker(ConsecutiveFailuresCircuitBreaker.factory(1, Duration.ZERO))
                    .policy(A, ResiliencePreset.NETWORK)
                    .build())
        .withMessage(
            "policy presets for single backends (tcp://a:1) cannot be combined with a custom"
                + " CircuitBreaker.Factory");
  }

  @Test
  void aPresetGivesAFailureRateBreakerWhoseCountsShowInStatus() {
    BackendPool pool = build(builder().policy(ResiliencePreset.CRITICAL));
    for (int i = 0; i < 3; i++) {
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordSuccess();
    }
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    BackendStatus a = PoolStatus.of(pool, A);
    CallStats calls = a.calls();
    assertThat(calls).isNotNull();
    assertThat(calls.window()).isEqualTo(Duration.ofSeconds(15));
    assertThat(calls.calls()).isEqualTo(4);
    assertThat(calls.failures()).isEqualTo(1);
    assertThat(calls.failureRate()).isEqualTo(25.0);
    assertThat(calls.slowCalls()).isZero();
    assertThat(a.rateLimiter()).isNotNull();
    assertThat(a.rateLimiter().configuredRate()).isEqualTo(50.0);
    assertThat(a.rateLimiter().accepted()).isEqualTo(4);

    // The fifth call, a failure: 2 of 5 is 40%, over critical's 30%.
    pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    assertThat(PoolStatus.of(pool, A).circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void anExplicitSettingReplacesThePresetsAndABackendsOwnPresetBeatsThePools() {
    BackendPool pool =
        build(
            builder()
                .policy(ResiliencePreset.RELAXED)
                .rateLimit(RateLimit.of(3, 3))
                .policy(B, ResiliencePreset.CRITICAL));
    assertThat(PoolStatus.of(pool, A).rateLimiter().configuredRate()).isEqualTo(3.0);
    assertThat(PoolStatus.of(pool, A).calls().window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(PoolStatus.of(pool, B).rateLimiter().configuredRate()).isEqualTo(50.0);
    assertThat(PoolStatus.of(pool, B).calls().window()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void disabledTurnsBreakersAndLimitsOffButSlotsStay() {
    BackendPool pool =
        build(
            builder()
                .failureThreshold(1)
                .rateLimit(RateLimit.of(1, 1))
                .adaptiveLimit(dev.melange.pool.AdaptiveLimit.aimd(1))
                .resilience(ResilienceMode.DISABLED));
    for (int i = 0; i < 20; i++) {
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(boom());
    }
    BackendStatus a = PoolStatus.of(pool, A);
    assertThat(a.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(a.rateLimiter()).isNull();
    assertThat(a.adaptiveLimit()).isNull();
    List<Lease> all = new java.util.ArrayList<>();
    pool.tryAcquire(ARCH, Selector.any()).ifPresent(all::add);
    while (all.size() < 100) {
      var lease = pool.tryAcquire(ARCH, Selector.any());
      if (lease.isEmpty()) {
        break;
      }
      all.add(lease.get());
    }
    assertThat(all).as("two backends of maxJobs 50").hasSize(100);
    all.forEach(Lease::close);
  }

  @Test
  void strictGivesEveryBackendTheCriticalPresetEvenOverACustomBreaker() {
    BackendPool pool =
        build(
            builder()
                .circuitBreaker(ConsecutiveFailuresCircuitBreaker.factory(1, Duration.ZERO))
                .resilience(ResilienceMode.STRICT));
    assertThat(PoolStatus.of(pool, A).rateLimiter().configuredRate()).isEqualTo(50.0);
    assertThat(PoolStatus.of(pool, A).calls().window()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void theEnvironmentWinsOverTheBuilder() {
    ResilienceSettings.environment = Map.of(ResilienceMode.ENVIRONMENT_VARIABLE, "relaxed")::get;
    BackendPool pool = build(builder().resilience(ResilienceMode.STRICT));
    assertThat(PoolStatus.of(pool, A).rateLimiter().configuredRate()).isEqualTo(200.0);

    ResilienceSettings.environment = Map.of(ResilienceMode.ENVIRONMENT_VARIABLE, "bogus")::get;
    assertThatIllegalArgumentException()
        .isThrownBy(() -> builder().build())
        .withMessage(
            "MELANGE_POOL_RESILIENCE: unknown resilience mode \"bogus\", expected configured,"
                + " strict, relaxed or disabled");
  }

  @Test
  void aReloadChangesARateInPlaceButRefusesToAddOrRemoveABucketOrSwitchTheMode() {
    BackendPool pool = build(builder().rateLimit(A, RateLimit.of(5, 5)));
    pool.reload(builder().rateLimit(A, RateLimit.of(7, 2)));
    assertThat(PoolStatus.of(pool, A).rateLimiter().configuredRate()).isEqualTo(7.0);
    assertThat(PoolStatus.of(pool, A).rateLimiter().burst()).isEqualTo(2);

    assertThatIllegalArgumentException()
        .isThrownBy(() -> pool.reload(builder()))
        .withMessage(
            "backends: tcp://a:1: rateLimit: cannot be added or removed on reload (its rate and"
                + " burst can change); remove the backend and add it again, or restart the pool");
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                pool.reload(
                    builder().rateLimit(A, RateLimit.of(7, 2)).rateLimit(B, RateLimit.of(1, 1))))
        .withMessageContaining("backends: tcp://b:1: rateLimit: cannot be added or removed");
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                pool.reload(
                    builder().rateLimit(A, RateLimit.of(7, 2)).resilience(ResilienceMode.DISABLED)))
        .withMessageStartingWith(
            "resilience: cannot change on reload (from configured to disabled)");
    assertThat(PoolStatus.of(pool, A).rateLimiter().configuredRate()).isEqualTo(7.0);
  }

  @Test
  void aBackendAReloadAddsGetsTheReloadedBreakerAndLimits() {
    BackendPool pool = build(builder());
    pool.reload(
        builder()
            .backend(Backend.of("tcp://c:1", ARCH))
            .circuitBreaker("tcp://c:1", CircuitBreakerPolicy.FailureRate.defaults())
            .rateLimit("tcp://c:1", RateLimit.of(9, 9)));
    BackendStatus c = PoolStatus.of(pool, "tcp://c:1");
    assertThat(c.calls()).as("a failure-rate breaker").isNotNull();
    assertThat(c.rateLimiter().configuredRate()).isEqualTo(9.0);
  }

  private static IOException boom() {
    return new IOException("boom");
  }
}
