package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.spi.LoadBalancer;
import org.jspecify.annotations.Nullable;

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
    Slot[] slots = ((CandidateList) candidates).slots;
    Slot best = pick(slots);
    for (int i = 0; best != null && i < slots.length; i++) {
      if (slots[i] == best) {
        return i;
      }
    }
    return NONE;
  }

  /**
   * The least-loaded slot that can take a lease, or null. Reads the slots' fields directly: this is
   * the default strategy's whole hot path.
   */
  static @Nullable Slot pick(Slot[] slots) {
    Slot best = null;
    long bestActive = 0;
    long bestMax = 1;
    for (Slot slot : slots) {
      // The raw counter: a removed or ramping slot looks full, and only a ramping one needs a
      // closer look, so a slot that does not ramp costs one comparison.
      int active = slot.active;
      int max = slot.maxJobs;
      if (active >= max) {
        if (!Slot.isRampingWord(active)) {
          continue;
        }
        active &= ~Slot.RAMP;
        max = slot.limit();
        if (active >= max) {
          continue;
        }
      }
      if (best != null && active * bestMax >= bestActive * max) {
        continue;
      }
      // Checked only for a slot that would win, to keep the scan to one cache line per slot.
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

  @Override
  public String toString() {
    return StrategySettings.LEAST_LOADED;
  }
}
