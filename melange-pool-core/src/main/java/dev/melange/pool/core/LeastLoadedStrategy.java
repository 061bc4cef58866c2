package dev.melange.pool.core;

import org.jspecify.annotations.Nullable;

/**
 * melange-server's selection: the candidate with the lowest {@code active / maxJobs} whose circuit
 * admits a lease; a tie goes to the earliest in configuration order. Loads are compared by
 * cross-multiplying, never dividing. The scan stops at the first idle eligible candidate, since
 * nothing can beat a load of zero and ties go to the earliest anyway.
 *
 * <p>Reads are racy by design: the caller reserves the chosen slot with a compare-and-set and picks
 * again if it lost the race.
 */
final class LeastLoadedStrategy {
  private LeastLoadedStrategy() {}

  static @Nullable Slot pick(Slot[] candidates) {
    Slot best = null;
    long bestActive = 0;
    long bestMax = 1;
    for (Slot slot : candidates) {
      int active = slot.active;
      int max = slot.maxJobs;
      if (active >= max || (best != null && active * bestMax >= bestActive * max)) {
        continue;
      }
      // Checked only for a slot that would win, to keep the scan to one cache line per slot. A
      // removed slot needs no check of its own: its counter says full.
      if (!slot.breaker.isAdmitting()) {
        continue;
      }
      best = slot;
      bestActive = active;
      bestMax = max;
      if (active == 0) {
        break;
      }
    }
    return best;
  }
}
