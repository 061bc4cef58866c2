package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.core.breaker.FailureRateCircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker.State;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The failure-rate breaker, driven by an injected ticker. */
class FailureRateCircuitBreakerTest {
  private final FakeTicker ticker = new FakeTicker(Long.MAX_VALUE - 1_000_000_000L);
  private final List<String> transitions = new ArrayList<>();

  /** The default failure-rate settings, to change a few of by name. */
  private static Policy policy() {
    return new Policy();
  }

  /** Test helper: {@link CircuitBreakerPolicy.FailureRate}'s settings by name. */
  private static final class Policy {
    private Duration window = Duration.ofSeconds(30);
    private int buckets = 10;
    private double failureRate = 50;
    private int minimumCalls = 10;
    private double slowRate = 100;
    private Duration slow = Duration.ofSeconds(60);
    private int trials = 1;
    private Duration wait = Duration.ofSeconds(30);
    private double backoff = 1;
    private Duration maxWait = Duration.ofMinutes(5);
    private int failures;

    Policy window(Duration value) {
      window = value;
      return this;
    }

    Policy buckets(int value) {
      buckets = value;
      return this;
    }

    Policy failureRate(double value) {
      failureRate = value;
      return this;
    }

    Policy minimumCalls(int value) {
      minimumCalls = value;
      return this;
    }

    Policy slowRate(double value) {
      slowRate = value;
      return this;
    }

    Policy slow(Duration value) {
      slow = value;
      return this;
    }

    Policy trials(int value) {
      trials = value;
      return this;
    }

    Policy wait(Duration value) {
      wait = value;
      return this;
    }

    Policy backoff(double value) {
      backoff = value;
      return this;
    }

    Policy maxWait(Duration value) {
      maxWait = value;
      return this;
    }

    Policy failures(int value) {
      failures = value;
      return this;
    }

    CircuitBreakerPolicy.FailureRate build() {
      return new CircuitBreakerPolicy.FailureRate(
          window,
          buckets,
          failureRate,
          minimumCalls,
          slowRate,
          slow,
          trials,
          wait,
          backoff,
          maxWait,
          failures);
    }
  }

  private FailureRateCircuitBreaker breaker(CircuitBreakerPolicy.FailureRate policy) {
    return new FailureRateCircuitBreaker(
        ticker, policy, (from, to) -> transitions.add(from + "->" + to));
  }

  private static void succeed(CircuitBreaker breaker, int times) {
    for (int i = 0; i < times; i++) {
      breaker.onSuccess(breaker.tryAcquirePermit());
    }
  }

  private static void fail(CircuitBreaker breaker, int times) {
    for (int i = 0; i < times; i++) {
      breaker.onFailure(breaker.tryAcquirePermit(), boom());
    }
  }

  @Test
  void opensAtTheFailureRateOnceThereAreEnoughCalls() {
    FailureRateCircuitBreaker breaker = breaker(policy().build()); // 50% over at least 10
    fail(breaker, 5);
    assertThat(breaker.snapshot().state())
        .as("5 calls: below minimumCalls")
        .isEqualTo(State.CLOSED);
    succeed(breaker, 4);
    assertThat(breaker.snapshot().state()).as("5 of 9").isEqualTo(State.CLOSED);
    succeed(breaker, 1);
    assertThat(breaker.snapshot().state()).as("a success never opens").isEqualTo(State.CLOSED);
    fail(breaker, 1);
    assertThat(breaker.snapshot().state()).as("6 of 11 failed: 54%").isEqualTo(State.OPEN);
    assertThat(transitions).containsExactly("CLOSED->OPEN");
    assertThat(breaker.isAdmitting()).isFalse();
    assertThat(breaker.tryAcquirePermit()).isEqualTo(CircuitBreaker.REFUSED);
  }

  @Test
  void belowTheRateItStaysClosed() {
    FailureRateCircuitBreaker breaker = breaker(policy().build());
    for (int i = 0; i < 100; i++) {
      succeed(breaker, 2);
      fail(breaker, 1); // 33%
    }
    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
  }

  @Test
  void outcomesLeaveTheWindowABucketAtATime() {
    // 10 s window in 10 buckets of 1 s.
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .window(Duration.ofSeconds(10))
                .slowRate(0)
                .slow(Duration.ofMinutes(1))
                .build());
    fail(breaker, 5); // at t = 0
    ticker.advance(Duration.ofMillis(9_500));
    succeed(breaker, 4); // at t = 9.5 s: 5 of 9
    ticker.advance(Duration.ofMillis(600)); // t = 10.1 s: the failures at 0 s have left
    fail(breaker, 1); // 1 of 5 calls in the window: below minimumCalls
    assertThat(breaker.windowCounts()).containsExactly(5, 1, 0);
    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
  }

  @Test
  void anAbsoluteCountOpensWhateverTheRate() {
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .failureRate(0)
                .minimumCalls(1_000)
                .slowRate(0)
                .slow(Duration.ofMinutes(1))
                .failures(3)
                .build());
    succeed(breaker, 100);
    fail(breaker, 2);
    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
    fail(breaker, 1);
    assertThat(breaker.snapshot().state()).isEqualTo(State.OPEN);
  }

  @Test
  void slowLeasesCountAtTheirRate() {
    // 50% slow (over 2 s) over at least 4 leases opens; failures alone would not.
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .failureRate(0)
                .minimumCalls(4)
                .slowRate(50)
                .slow(Duration.ofSeconds(2))
                .build());
    succeed(breaker, 2); // fast
    long slow = breaker.tryAcquirePermit();
    ticker.advance(Duration.ofMillis(2_001));
    breaker.onSuccess(slow);
    assertThat(breaker.windowCounts()).containsExactly(3, 0, 1);
    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
    long slowToo = breaker.tryAcquirePermit();
    ticker.advance(Duration.ofMillis(2_500));
    breaker.onSuccess(slowToo); // 2 of 4 slow
    assertThat(breaker.snapshot().state()).isEqualTo(State.OPEN);
  }

  @Test
  void leasesStillOutPastTheSlowDurationCountAsSlowBeforeTheyEnd() {
    // 50% slow (over 1 s) over at least 2 leases; nothing has ended yet.
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .failureRate(0)
                .minimumCalls(2)
                .slowRate(50)
                .slow(Duration.ofSeconds(1))
                .wait(Duration.ofSeconds(10))
                .build());
    long first = breaker.tryAcquirePermit();
    long second = breaker.tryAcquirePermit();
    ticker.advance(Duration.ofMillis(900));
    assertThat(breaker.tryAcquirePermit()).as("not slow yet").isNotEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.leasesOutTooLong(ticker.read())).isZero();

    ticker.advance(Duration.ofMillis(400)); // the first two are out 1.3 s
    assertThat(breaker.leasesOutTooLong(ticker.read())).isEqualTo(2);
    assertThat(breaker.tryAcquirePermit()).isEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.snapshot().state()).isEqualTo(State.OPEN);
    assertThat(transitions).containsExactly("CLOSED->OPEN");

    breaker.onSuccess(first);
    breaker.onNoOutcome(second);
    assertThat(breaker.leasesOutTooLong(ticker.read())).isZero();
  }

  @Test
  void aLeaseOutLongerThanTheCountsSpanIsStillCountedAndUncounted() {
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .failureRate(0)
                .minimumCalls(100)
                .slowRate(50)
                .slow(Duration.ofSeconds(1))
                .wait(Duration.ofSeconds(10))
                .build());
    long old = breaker.tryAcquirePermit();
    for (int step = 0; step < 40; step++) { // 5 s of grants every 125 ms: the ring wraps twice
      ticker.advance(Duration.ofMillis(125));
      breaker.onSuccess(breaker.tryAcquirePermit());
    }
    assertThat(breaker.leasesOutTooLong(ticker.read())).isEqualTo(1);
    breaker.onFailure(old, boom());
    assertThat(breaker.leasesOutTooLong(ticker.read())).isZero();
  }

  @Test
  void halfOpenAdmitsItsTrialsAndClosesWhenAllSucceed() {
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .minimumCalls(2)
                .slowRate(0)
                .slow(Duration.ofMinutes(1))
                .trials(3)
                .wait(Duration.ofSeconds(10))
                .build());
    fail(breaker, 2);
    assertThat(breaker.snapshot().state()).isEqualTo(State.OPEN);
    assertThat(breaker.snapshot().nanosUntilRetry()).isEqualTo(Duration.ofSeconds(10).toNanos());

    ticker.advance(Duration.ofSeconds(10));
    long first = breaker.tryAcquirePermit();
    long second = breaker.tryAcquirePermit();
    long third = breaker.tryAcquirePermit();
    assertThat(List.of(first, second, third)).doesNotContain(CircuitBreaker.REFUSED);
    assertThat(breaker.tryAcquirePermit()).as("a fourth").isEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.snapshot().state()).isEqualTo(State.HALF_OPEN);

    breaker.onSuccess(first);
    breaker.onNoOutcome(second); // frees its trial
    long again = breaker.tryAcquirePermit();
    assertThat(again).isNotEqualTo(CircuitBreaker.REFUSED);
    breaker.onSuccess(third);
    assertThat(breaker.snapshot().state()).isEqualTo(State.HALF_OPEN);
    breaker.onSuccess(again);

    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
    assertThat(breaker.windowCounts()).as("a fresh window").containsExactly(0, 0, 0);
    assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
  }

  @Test
  void eachReopenInARowWaitsLongerUpToTheMaximum() {
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .minimumCalls(1)
                .slowRate(0)
                .slow(Duration.ofMinutes(1))
                .wait(Duration.ofSeconds(10))
                .backoff(2.0)
                .maxWait(Duration.ofSeconds(35))
                .build());
    fail(breaker, 1);
    List<Long> waits = new ArrayList<>();
    for (int reopen = 0; reopen < 4; reopen++) {
      long wait = breaker.snapshot().nanosUntilRetry();
      waits.add(wait / 1_000_000_000L);
      ticker.advance(Duration.ofNanos(wait));
      fail(breaker, 1); // the trial fails
    }
    assertThat(waits).containsExactly(10L, 20L, 35L, 35L);

    ticker.advance(Duration.ofSeconds(35));
    succeed(breaker, 1); // the trial succeeds: closed, and the backoff starts over
    fail(breaker, 1);
    assertThat(breaker.snapshot().nanosUntilRetry()).isEqualTo(Duration.ofSeconds(10).toNanos());
  }

  @Test
  void outcomesOfLeasesGrantedBeforeATransitionAreIgnored() {
    FailureRateCircuitBreaker breaker =
        breaker(
            policy()
                .minimumCalls(2)
                .slowRate(0)
                .slow(Duration.ofMinutes(1))
                .wait(Duration.ofSeconds(10))
                .build());
    long early = breaker.tryAcquirePermit();
    fail(breaker, 2);
    assertThat(breaker.snapshot().state()).isEqualTo(State.OPEN);
    ticker.advance(Duration.ofSeconds(10));
    succeed(breaker, 1); // the trial closes it
    breaker.onFailure(early, boom()); // granted in the first closed epoch
    assertThat(breaker.windowCounts()).containsExactly(0, 0, 0);
  }

  @Test
  void theDefaultsAreResilience4jsWithOneTrial() {
    CircuitBreakerPolicy.FailureRate defaults = CircuitBreakerPolicy.FailureRate.defaults();
    assertThat(defaults.window()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.buckets()).isEqualTo(10);
    assertThat(defaults.failureRateThreshold()).isEqualTo(50);
    assertThat(defaults.minimumCalls()).isEqualTo(10);
    assertThat(defaults.slowCallRateThreshold()).isEqualTo(100);
    assertThat(defaults.slowCallDuration()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.permittedTrialLeases()).isEqualTo(1);
    assertThat(defaults.waitInOpen()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.backoff()).isEqualTo(1);
    assertThat(defaults.maxWaitInOpen()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults.failures()).isZero();
    assertThat(policy().build()).as("the test's starting point").isEqualTo(defaults);
  }

  @Test
  void badSettingsAreNamed() {
    assertThatThrownBy(() -> policy().buckets(0).build())
        .hasMessage("buckets must be from 1 to 1000, was 0");
    assertThatThrownBy(() -> policy().failureRate(101).build())
        .hasMessage("failureRateThreshold must be a percentage from 0 to 100, was 101.0");
    assertThatThrownBy(() -> policy().backoff(0.5).build())
        .hasMessage("backoff must be >= 1 and finite, was 0.5");
    assertThatThrownBy(() -> policy().wait(Duration.ofMinutes(10)).build())
        .hasMessage("maxWaitInOpen must be >= waitInOpen (PT10M), was PT5M");
    assertThatThrownBy(() -> policy().window(Duration.ofMillis(5)).build())
        .hasMessage("window / buckets must be at least 1ms, was PT0.005S / 10");
  }

  @Test
  void aPoolBuildsItPoolWideOrPerBackend() throws Exception {
    CircuitBreakerPolicy.FailureRate strict =
        policy()
            .minimumCalls(2)
            .slowRate(0)
            .slow(Duration.ofMinutes(1))
            .wait(Duration.ofSeconds(10))
            .build();
    try (BackendPool pool =
        BackendPool.builder()
            .ticker(ticker)
            .backend(Backend.of("tcp://a:1", "x86_64").withMaxJobs(1))
            .backend(Backend.of("tcp://b:1", "x86_64").withMaxJobs(1))
            .circuitBreaker(new CircuitBreakerPolicy.Consecutive(1, Duration.ofSeconds(10)))
            .circuitBreaker("tcp://a:1", strict)
            .build()) {
      // b opens on its first failure (consecutive, 1); a needs two leases ended, half failed.
      Lease onA = pool.acquire("x86_64", Selector.any());
      Lease onB = pool.acquire("x86_64", Selector.any());
      assertThat(onA.backend().addr()).isEqualTo("tcp://a:1");
      onA.recordFailure(boom());
      onB.recordFailure(boom());
      assertThat(PoolStatus.of(pool, "tcp://a:1").circuitState()).isEqualTo(State.CLOSED);
      assertThat(PoolStatus.of(pool, "tcp://b:1").circuitState()).isEqualTo(State.OPEN);
      pool.acquire("x86_64", Selector.any(), Duration.ZERO).recordSuccess();
      assertThat(PoolStatus.of(pool, "tcp://a:1").circuitState()).isEqualTo(State.CLOSED);
      pool.acquire("x86_64", Selector.any(), Duration.ZERO).recordFailure(boom());
      assertThat(PoolStatus.of(pool, "tcp://a:1").circuitState())
          .as("2 of 3 failed")
          .isEqualTo(State.OPEN);
      assertThat(PoolStatus.of(pool, "tcp://a:1").failures()).isEqualTo(2);
    }
  }

  @Test
  void aPolicyForAnUnknownBackendOrBesideACustomFactoryIsRefused() {
    BackendPool.Builder unknown =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", "x86_64"))
            .circuitBreaker("tcp://zz:1", policy().build());
    assertThatThrownBy(unknown::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("circuitBreaker is given for tcp://zz:1, which is not a backend");
    BackendPool.Builder mixed =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", "x86_64"))
            .circuitBreaker("tcp://a:1", policy().build())
            .circuitBreaker((backend, t) -> ScriptedCircuitBreaker.neverOpens());
    assertThatThrownBy(mixed::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "circuitBreaker policies for single backends (tcp://a:1) cannot be combined with a"
                + " custom CircuitBreaker.Factory");
  }

  private static IOException boom() {
    return new IOException("boom");
  }
}
