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
}

/** Argument checks shared by the policies. */
final class Checks {
  private Checks() {}

  static void require(boolean valid, String message) {
    if (!valid) {
      throw new IllegalArgumentException(message);
    }
  }

  static boolean positive(Duration duration) {
    return !duration.isNegative() && !duration.isZero();
  }

  static void percentage(String name, double value) {
    require(value >= 0 && value <= 100, name + " must be a percentage from 0 to 100, was " + value);
  }
}
