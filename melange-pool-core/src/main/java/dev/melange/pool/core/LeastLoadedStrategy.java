package dev.melange.pool.core;

import dev.melange.pool.spi.LoadBalancer;

/**
 * melange-server's selection: the candidate with the lowest {@code active / maxJobs} whose circuit
 * admits a lease; a tie goes to the earliest in configuration order. Loads are compared by
 * cross-multiplying, never dividing. The scan stops at the first idle eligible candidate, since
 * nothing can beat a load of zero and ties go to the earliest anyway. A scan of every candidate:
 * the right choice for melange's fleets of a few dozen daemons; at thousands, {@code power-of-two}.
 */
final class LeastLoadedStrategy implements LoadBalancer {
  static final LeastLoadedStrategy INSTANCE = new LeastLoadedStrategy();

  private LeastLoadedStrategy() {}

  /** Only the pool calls this, always with its own view; it scans the slots directly. */
  @Override
  public int pick(Candidates candidates) {
    return pick(((CandidateList) candidates).slots);
  }

  /**
   * The index of the least-loaded slot that can take a lease, or {@link #NONE}. Reads the slots'
   * fields directly: this is the default strategy's whole hot path.
   */
  static int pick(Slot[] slots) {
    int best = NONE;
    long bestActive = 0;
    long bestMax = 1;
    for (int i = 0; i < slots.length; i++) {
      Slot slot = slots[i];
      // The raw counter: a removed slot counts as full.
      int active = slot.active;
      int max = slot.limit;
      if (max == Slot.RAMPING) {
        max = slot.limit();
      }
      if (active >= max || (best != NONE && active * bestMax >= bestActive * max)) {
        continue;
      }
      // Checked only for a slot that would win, to keep the scan to one cache line per slot.
      if (!slot.breaker.isAdmitting()) {
        continue;
      }
      best = i;
      bestActive = active;
      bestMax = max;
      if (active == 0) {
        break;
      }
    }
    return best;
  }

  @Override
  public String toString() {
    return StrategySettings.LEAST_LOADED;
  }
}
