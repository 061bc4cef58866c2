package dev.melange.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * An adaptive concurrency limit for one backend: its effective {@code maxJobs} moves between {@code
 * min} and its configured {@code maxJobs} with the latency and outcomes of its leases. It starts at
 * the configured {@code maxJobs}. YAML: {@code adaptiveLimit: {algorithm: aimd, min: 1}}.
 *
 * <ul>
 *   <li>{@link Algorithm#AIMD}: +1 after a window of successes (as many as the limit), ×0.9 on a
 *       failure or on a lease held longer than {@code latencyThreshold}.
 *   <li>{@link Algorithm#GRADIENT}: Netflix concurrency-limits' Gradient2: the limit follows the
 *       ratio of a long-term average lease time to the latest one, with room for a queue of 4,
 *       smoothed by 0.2; a failure also multiplies it by 0.9.
 * </ul>
 *
 * <p>Neither grows the limit while the backend uses less than half of it (the backend is not the
 * bottleneck then, so its latency says nothing about more load).
 *
 * @param algorithm how the limit moves
 * @param min the lowest limit, at least 1 (capped by the backend's {@code maxJobs})
 * @param latencyThreshold for AIMD, a lease held longer than this counts against the limit like a
 *     failure; {@link Duration#ZERO} (the default) to use outcomes only. Ignored by GRADIENT.
 */
public record AdaptiveLimit(Algorithm algorithm, int min, Duration latencyThreshold) {

  /** How an adaptive limit moves. */
  public enum Algorithm {
    /** Additive increase, multiplicative decrease. */
    AIMD,
    /** Netflix's Gradient2: from the gradient of lease latency. */
    GRADIENT
  }

  /** Checks the settings, naming the bad one. */
  public AdaptiveLimit {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(latencyThreshold, "latencyThreshold");
    Checks.require(
        min >= 1 && min <= Backend.MAX_JOBS_LIMIT,
        "min must be from 1 to " + Backend.MAX_JOBS_LIMIT + ", was " + min);
    Checks.require(
        !latencyThreshold.isNegative(), "latencyThreshold must be >= 0, was " + latencyThreshold);
  }

  /** AIMD from a limit of {@code min} up, on outcomes only. */
  public static AdaptiveLimit aimd(int min) {
    return new AdaptiveLimit(Algorithm.AIMD, min, Duration.ZERO);
  }

  /** Gradient2 from a limit of {@code min} up. */
  public static AdaptiveLimit gradient(int min) {
    return new AdaptiveLimit(Algorithm.GRADIENT, min, Duration.ZERO);
  }

  /**
   * A copy whose AIMD also backs off on leases held longer than {@code threshold}.
   *
   * @throws IllegalArgumentException if negative
   */
  public AdaptiveLimit withLatencyThreshold(Duration threshold) {
    return new AdaptiveLimit(algorithm, min, threshold);
  }
}
