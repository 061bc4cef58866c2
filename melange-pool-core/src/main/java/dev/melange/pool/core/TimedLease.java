package dev.melange.pool.core;

import dev.melange.pool.Ticker;

/**
 * A lease that reports its duration when it ends: to its slot's {@link LatencyEstimate} (when the
 * pool's strategy uses latency) and to its adaptive limit (when the backend has one). What a pool
 * hands out when either may apply; the pool makes one lease class or the other, never both, so the
 * release path's calls stay monomorphic.
 */
final class TimedLease extends PooledLease {
  private final Ticker ticker;
  private final long startNanos;

  TimedLease(Slot slot, long permit, Ticker ticker) {
    super(slot, permit);
    this.ticker = ticker;
    this.startNanos = ticker.read();
  }

  @Override
  void giveBack(boolean failed) {
    try {
      long now = ticker.read();
      long held = now - startNanos;
      LatencyEstimate latency = slot.latency;
      if (latency != null) {
        latency.record(held, now);
      }
      AdaptiveConcurrency adaptive = slot.adaptive();
      if (adaptive != null) {
        adaptive.sample(held, slot.active(), failed);
      }
    } finally {
      super.giveBack(failed);
    }
  }
}
