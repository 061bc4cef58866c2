package dev.melange.pool.core;

import dev.melange.pool.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test advances it. Thread-safe: any thread may read or
 * advance it. Readings wrap around like {@link System#nanoTime()}, which only differences are
 * defined for, so a test can start it just below {@link Long#MAX_VALUE} to check that the pool
 * never compares raw readings.
 */
final class FakeTicker implements Ticker {
  private final AtomicLong nanos;

  FakeTicker() {
    this(0);
  }

  FakeTicker(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  /** Moves time forward; wraps around past {@link Long#MAX_VALUE}, as {@code nanoTime} may. */
  void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must be >= 0, was " + duration);
    }
    nanos.addAndGet(duration.toNanos());
  }

  @Override
  public long read() {
    return nanos.get();
  }

  @Override
  public String toString() {
    return "FakeTicker[" + nanos.get() + "ns]";
  }
}
