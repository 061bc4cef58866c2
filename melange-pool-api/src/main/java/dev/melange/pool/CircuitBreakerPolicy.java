package dev.melange.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * Which circuit breaker guards a backend, and with what settings: the YAML key {@code
 * circuitBreaker} reads into one of these, pool-wide or per backend, and {@link
 * BackendPool.Builder#circuitBreaker(CircuitBreakerPolicy)} takes one in code.
 */
public sealed interface CircuitBreakerPolicy {

  /**
   * melange-server's breaker (the default): opens after {@code failures} failures in a row, admits
   * one trial lease after {@code waitInOpen}.
   *
   * @param failures consecutive failures that open the circuit, at least 1
   * @param waitInOpen how long an open circuit refuses leases before a trial; not negative
   */
  record Consecutive(int failures, Duration waitInOpen) implements CircuitBreakerPolicy {

    /** Checks the settings, naming the bad one. */
    public Consecutive {
      Objects.requireNonNull(waitInOpen, "waitInOpen");
      Checks.require(failures >= 1, "failures must be >= 1, was " + failures);
      Checks.require(!waitInOpen.isNegative(), "waitInOpen must be >= 0, was " + waitInOpen);
    }
  }

  /**
   * A breaker over a rolling time window (Resilience4j's, with what its users ask for): it opens
   * when, over at least {@code minimumCalls} leases ended in the last {@code window}, the share
   * that failed reaches {@code failureRateThreshold} percent, or the share slower than {@code
   * slowCallDuration} reaches {@code slowCallRateThreshold} percent, or (when {@code failures} is
   * not 0) {@code failures} leases failed, whatever the rate. Open, it refuses leases for {@code
   * waitInOpen}, then admits {@code permittedTrialLeases} trials and closes when they all succeed;
   * a failed trial opens it again, for {@code waitInOpen × backoff^n} after the n-th re-open in a
   * row, at most {@code maxWaitInOpen}.
   *
   * @param window how far back outcomes count; positive
   * @param buckets how many slices the window moves by, 1–1,000; it forgets a slice at a time
   * @param failureRateThreshold percent of failed leases that opens the circuit, 0–100 (0: never)
   * @param minimumCalls leases ended in the window before a rate counts, at least 1
   * @param slowCallRateThreshold percent of slow leases that opens the circuit, 0–100 (0: never)
   * @param slowCallDuration a lease held longer than this is slow (one still out that long counts
   *     as slow, and as a call, before it ends); positive
   * @param permittedTrialLeases trials a half-open circuit admits, 1–1,000
   * @param waitInOpen how long an open circuit refuses leases; not negative
   * @param backoff how much each re-open in a row multiplies the wait, at least 1 (1: no growth)
   * @param maxWaitInOpen the longest wait backoff grows to; at least {@code waitInOpen}
   * @param failures failed leases in the window that open the circuit whatever the rate (0: off)
   */
  record FailureRate(
      Duration window,
      int buckets,
      double failureRateThreshold,
      int minimumCalls,
      double slowCallRateThreshold,
      Duration slowCallDuration,
      int permittedTrialLeases,
      Duration waitInOpen,
      double backoff,
      Duration maxWaitInOpen,
      int failures)
      implements CircuitBreakerPolicy {

    /** The most buckets and trial leases a breaker keeps. */
    public static final int MAX_BUCKETS = 1_000;

    /** The longest window: a day. */
    public static final Duration MAX_WINDOW = Duration.ofDays(1);

    /** Checks the settings, naming the bad one. */
    public FailureRate {
      Objects.requireNonNull(window, "window");
      Objects.requireNonNull(slowCallDuration, "slowCallDuration");
      Objects.requireNonNull(waitInOpen, "waitInOpen");
      Objects.requireNonNull(maxWaitInOpen, "maxWaitInOpen");
      Checks.require(Checks.positive(window), "window must be > 0, was " + window);
      Checks.require(
          window.compareTo(MAX_WINDOW) <= 0, "window must be <= " + MAX_WINDOW + ", was " + window);
      Checks.require(
          buckets >= 1 && buckets <= MAX_BUCKETS,
          "buckets must be from 1 to " + MAX_BUCKETS + ", was " + buckets);
      Checks.require(
          window.toNanos() / buckets >= 1_000_000,
          "window / buckets must be at least 1ms, was " + window + " / " + buckets);
      Checks.percentage("failureRateThreshold", failureRateThreshold);
      Checks.require(minimumCalls >= 1, "minimumCalls must be >= 1, was " + minimumCalls);
      Checks.percentage("slowCallRateThreshold", slowCallRateThreshold);
      Checks.require(
          Checks.positive(slowCallDuration),
          "slowCallDuration must be > 0, was " + slowCallDuration);
      Checks.require(
          permittedTrialLeases >= 1 && permittedTrialLeases <= MAX_BUCKETS,
          "permittedTrialLeases must be from 1 to "
              + MAX_BUCKETS
              + ", was "
              + permittedTrialLeases);
      Checks.require(!waitInOpen.isNegative(), "waitInOpen must be >= 0, was " + waitInOpen);
      Checks.require(
          backoff >= 1 && !Double.isInfinite(backoff),
          "backoff must be >= 1 and finite, was " + backoff);
      Checks.require(
          maxWaitInOpen.compareTo(waitInOpen) >= 0,
          "maxWaitInOpen must be >= waitInOpen (" + waitInOpen + "), was " + maxWaitInOpen);
      Checks.require(failures >= 0, "failures must be >= 0, was " + failures);
      failureRateThreshold += 0.0; // -0.0 is 0
      slowCallRateThreshold += 0.0;
    }

    /**
     * The defaults: window 30s in 10 buckets, 50% failures over at least 10 leases, 100% slow
     * leases (over 60s), 1 trial, wait 30s without backoff (at most 5m), no absolute count.
     */
    public static FailureRate defaults() {
      return new FailureRate(
          Duration.ofSeconds(30),
          10,
          50,
          10,
          100,
          Duration.ofSeconds(60),
          1,
          Duration.ofSeconds(30),
          1,
          Duration.ofMinutes(5),
          0);
    }
  }

  /**
   * Failsafe's circuit breaker ({@code dev.failsafe.CircuitBreaker}, Failsafe 3.3.2) with these
   * settings, for teams that standardised on Failsafe: the circuit behaves as Failsafe's does, and
   * the defaults are Failsafe's. The names are those of Failsafe's builder, and so is the shape:
   * start from {@link #defaults()} and change settings with the {@code with} methods, as with
   * {@code CircuitBreaker.builder()}.
   *
   * <p>Closed, the circuit opens when {@code failureThreshold} of the last {@code
   * failureThresholdingCapacity} leases failed; or, with a {@code failureThresholdingPeriod}, when
   * {@code failureThreshold} leases failed within the period and at least {@code
   * failureThresholdingCapacity} leases ended in it (Failsafe's {@code failureExecutionThreshold}).
   * Open, it refuses leases for {@code delay}. Half-open, it admits {@code
   * successThresholdingCapacity} trial leases at a time ({@code failureThresholdingCapacity}
   * without a success threshold), and closes once {@code successThreshold} of the last so many
   * trials succeeded or opens again once too many failed for that; without a success threshold,
   * Failsafe applies the failure threshold to the trials instead.
   *
   * <p>Failsafe cannot take a permit back without an outcome, so a lease closed with no outcome
   * counts as nothing when it was granted while the circuit was closed, and as a failed trial when
   * it was a half-open trial (else its place among the trials would stay taken for good). Failsafe
   * times {@code delay} with its own clock ({@link System#nanoTime()}) and {@code
   * failureThresholdingPeriod} with the wall clock ({@link System#currentTimeMillis()}), not with
   * the pool's {@link Ticker}. The {@code melange-pool-core} artifact depends on Failsafe.
   *
   * @param failureThreshold failed leases that open the circuit, 1–1,000; Failsafe's default 1
   * @param failureThresholdingCapacity the last leases the failures are counted among, or with a
   *     period the fewest leases in it before the circuit may open; from {@code failureThreshold}
   *     to 1,000; Failsafe's default: {@code failureThreshold}
   * @param failureThresholdingPeriod {@link Duration#ZERO} to count over the last leases
   *     (Failsafe's default), or at least 10ms to count over a rolling period
   * @param successThreshold successful trials that close a half-open circuit, 0–1,000; 0
   *     (Failsafe's default) leaves it to the failure threshold
   * @param successThresholdingCapacity the last trials the successes are counted among: 0 without a
   *     success threshold, else from {@code successThreshold} to 1,000
   * @param delay how long an open circuit refuses leases; not negative; Failsafe's default 1 minute
   */
  record Failsafe(
      int failureThreshold,
      int failureThresholdingCapacity,
      Duration failureThresholdingPeriod,
      int successThreshold,
      int successThresholdingCapacity,
      Duration delay)
      implements CircuitBreakerPolicy {

    /**
     * The most a threshold or capacity may be: Failsafe keeps a bit per lease of its capacity, and
     * admits that many half-open trials at a time.
     */
    public static final int MAX_CAPACITY = 1_000;

    /** The shortest {@code failureThresholdingPeriod} Failsafe accepts. */
    public static final Duration MIN_PERIOD = Duration.ofMillis(10);

    /** Checks the settings, naming the bad one. */
    public Failsafe {
      Objects.requireNonNull(failureThresholdingPeriod, "failureThresholdingPeriod");
      Objects.requireNonNull(delay, "delay");
      Checks.require(
          failureThreshold >= 1 && failureThreshold <= MAX_CAPACITY,
          "failureThreshold must be from 1 to " + MAX_CAPACITY + ", was " + failureThreshold);
      Checks.require(
          failureThresholdingCapacity >= failureThreshold
              && failureThresholdingCapacity <= MAX_CAPACITY,
          "failureThresholdingCapacity must be from failureThreshold ("
              + failureThreshold
              + ") to "
              + MAX_CAPACITY
              + ", was "
              + failureThresholdingCapacity);
      Checks.require(
          failureThresholdingPeriod.isZero()
              || failureThresholdingPeriod.compareTo(MIN_PERIOD) >= 0,
          "failureThresholdingPeriod must be 0 (count the last leases) or >= "
              + MIN_PERIOD
              + ", was "
              + failureThresholdingPeriod);
      Checks.require(
          successThreshold >= 0 && successThreshold <= MAX_CAPACITY,
          "successThreshold must be from 0 to " + MAX_CAPACITY + ", was " + successThreshold);
      if (successThreshold == 0) {
        Checks.require(
            successThresholdingCapacity == 0,
            "successThresholdingCapacity must be 0 without a successThreshold, was "
                + successThresholdingCapacity);
      } else {
        Checks.require(
            successThresholdingCapacity >= successThreshold
                && successThresholdingCapacity <= MAX_CAPACITY,
            "successThresholdingCapacity must be from successThreshold ("
                + successThreshold
                + ") to "
                + MAX_CAPACITY
                + ", was "
                + successThresholdingCapacity);
      }
      Checks.require(!delay.isNegative(), "delay must be >= 0, was " + delay);
    }

    /**
     * Failsafe's defaults ({@code CircuitBreaker.ofDefaults()}): the first failure opens the
     * circuit, which refuses leases for a minute and closes again on one successful trial.
     */
    public static Failsafe defaults() {
      return new Failsafe(1, 1, Duration.ZERO, 0, 0, Duration.ofMinutes(1));
    }

    /**
     * Opens the circuit when {@code failureThreshold} of the last {@code
     * failureThresholdingCapacity} leases failed (Failsafe's {@code withFailureThreshold(int,
     * int)}), counting over the last leases rather than a period.
     *
     * @throws IllegalArgumentException if a setting is out of range
     */
    public Failsafe withFailureThreshold(int failureThreshold, int failureThresholdingCapacity) {
      return new Failsafe(
          failureThreshold,
          failureThresholdingCapacity,
          Duration.ZERO,
          successThreshold,
          successThresholdingCapacity,
          delay);
    }

    /**
     * Opens the circuit when {@code failureThreshold} leases failed within the rolling {@code
     * failureThresholdingPeriod}, once at least {@code failureExecutionThreshold} ended in it
     * (Failsafe's {@code withFailureThreshold(int, int, Duration)}).
     *
     * @throws IllegalArgumentException if a setting is out of range
     */
    public Failsafe withFailureThreshold(
        int failureThreshold, int failureExecutionThreshold, Duration failureThresholdingPeriod) {
      return new Failsafe(
          failureThreshold,
          failureExecutionThreshold,
          failureThresholdingPeriod,
          successThreshold,
          successThresholdingCapacity,
          delay);
    }

    /**
     * Closes a half-open circuit when {@code successThreshold} of the last {@code
     * successThresholdingCapacity} trials succeeded (Failsafe's {@code withSuccessThreshold(int,
     * int)}).
     *
     * @throws IllegalArgumentException if a setting is out of range
     */
    public Failsafe withSuccessThreshold(int successThreshold, int successThresholdingCapacity) {
      return new Failsafe(
          failureThreshold,
          failureThresholdingCapacity,
          failureThresholdingPeriod,
          successThreshold,
          successThresholdingCapacity,
          delay);
    }

    /**
     * How long an open circuit refuses leases (Failsafe's {@code withDelay}).
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Failsafe withDelay(Duration delay) {
      return new Failsafe(
          failureThreshold,
          failureThresholdingCapacity,
          failureThresholdingPeriod,
          successThreshold,
          successThresholdingCapacity,
          delay);
    }
  }
}
