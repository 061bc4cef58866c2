package dev.melange.pool.core.health;

import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;

/**
 * Turns a backend's probe results into its health, by one of {@link HealthCheck.Model}'s rules. Not
 * thread-safe: its {@link HealthMonitor} feeds it one result at a time.
 *
 * <p>{@link HealthCheck.Model#WINDOW} is Varnish's: the results are bits of a word, the newest at
 * the bottom, and the backend is healthy while at least {@code threshold} of the lowest {@code
 * window} bits are set. {@code initial} bits are set at the start, as successes assumed.
 */
public final class HealthModel {
  private final HealthCheck check;
  private Health health;

  /** CONSECUTIVE: results in a row that go against the current health. */
  private int against;

  /** WINDOW: the results, newest in bit 0. */
  private long results;

  private final long windowMask;

  /**
   * A model at the start: {@link Health#UNKNOWN}, or healthy when the window model assumes enough
   * initial successes.
   */
  HealthModel(HealthCheck check) {
    this.check = check;
    this.windowMask = check.window() == 64 ? -1L : (1L << check.window()) - 1;
    this.results = check.initial() == 64 ? -1L : (1L << check.initial()) - 1;
    this.health =
        check.model() == HealthCheck.Model.WINDOW && check.initial() >= check.threshold()
            ? Health.HEALTHY
            : Health.UNKNOWN;
  }

  /**
   * A model that starts from a health known already (a backend whose check changed on a reload): as
   * if the window had been all successes or all failures, or the streak had just flipped.
   */
  HealthModel(HealthCheck check, Health start) {
    this(check);
    if (start != Health.UNKNOWN) {
      health = start;
      results = start == Health.HEALTHY ? windowMask : 0;
    }
  }

  Health health() {
    return health;
  }

  /**
   * The share of recent probes that passed, 0–1, for the window model (its window, with the assumed
   * initial successes until real results replace them); NaN for the consecutive model, which keeps
   * no history to score.
   */
  double score() {
    if (check.model() != HealthCheck.Model.WINDOW) {
      return Double.NaN;
    }
    return (double) Long.bitCount(results & windowMask) / check.window();
  }

  /** Feeds one result; returns the health after it. */
  Health record(boolean success) {
    if (check.model() == HealthCheck.Model.WINDOW) {
      results = (results << 1) | (success ? 1 : 0);
      health =
          Long.bitCount(results & windowMask) >= check.threshold()
              ? Health.HEALTHY
              : Health.UNHEALTHY;
      return health;
    }
    if (health == Health.UNKNOWN) {
      // No verdict yet: the first result gives one, as if it had been one short of it.
      health = success ? Health.HEALTHY : Health.UNHEALTHY;
      against = 0;
      return health;
    }
    boolean agrees = success == (health == Health.HEALTHY);
    if (agrees) {
      against = 0;
      return health;
    }
    against++;
    int needed = success ? check.healthyThreshold() : check.unhealthyThreshold();
    if (against >= needed) {
      health = success ? Health.HEALTHY : Health.UNHEALTHY;
      against = 0;
    }
    return health;
  }
}
