package dev.melange.pool.core;

import dev.melange.pool.Ticker;
import dev.melange.pool.core.config.PoolSettings;
import java.time.Duration;

/**
 * The pool's slow-start setting: how long a backend that becomes eligible ramps up, and the ticker
 * that times it. During a ramp, a value {@code v} (a backend's {@code maxJobs} or weight) counts as
 * {@code max(1, ceil(v * elapsed / duration))}, as in HAProxy and Envoy.
 */
final class SlowStart {
  final Ticker ticker;

  /** The ramp's length; 0 means no ramp. At most an hour, so {@code v * nanos} fits a long. */
  final long nanos;

  SlowStart(Ticker ticker, Duration duration) {
    if (duration.isNegative() || duration.compareTo(PoolSettings.MAX_SLOW_START) > 0) {
      throw new IllegalArgumentException("slowStart out of range: " + duration);
    }
    this.ticker = ticker;
    this.nanos = duration.toNanos();
  }

  /** {@code value} scaled to {@code elapsed} of the ramp, at least 1 and at most {@code value}. */
  int scale(int value, long elapsed) {
    if (elapsed <= 0) {
      return 1;
    }
    if (elapsed >= nanos) {
      return value;
    }
    // value <= 10^6 and elapsed < nanos <= 3.6 * 10^12: the product fits a long.
    long scaled = (value * elapsed + nanos - 1) / nanos;
    return (int) Math.max(1, scaled);
  }
}
