package dev.melange.pool.core;

/**
 * A lease that reports its duration to its slot's {@link LatencyEstimate} when it ends: what a pool
 * whose strategy uses latency hands out.
 */
final class TimedLease extends PooledLease {
  private final LatencyEstimate latency;
  private final long startNanos;

  TimedLease(Slot slot, long permit, LatencyEstimate latency) {
    super(slot, permit);
    this.latency = latency;
    this.startNanos = latency.ticker().read();
  }

  @Override
  void giveBack() {
    try {
      long now = latency.ticker().read();
      latency.record(now - startNanos, now);
    } finally {
      super.giveBack();
    }
  }
}
