package dev.melange.pool.core.time;

import java.time.Duration;

/** Durations as the pool's clocks count them: nanoseconds in a {@code long}. */
public final class Durations {
  private Durations() {}

  /**
   * {@code duration} in nanoseconds, or {@link Long#MAX_VALUE} (about 292 years: for ever, to a
   * pool) when it is longer than a {@code long} of nanoseconds holds.
   */
  public static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
