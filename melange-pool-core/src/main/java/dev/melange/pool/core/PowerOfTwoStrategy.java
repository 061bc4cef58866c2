package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Power of two choices by load: of two random candidates, the one with the lower {@code active /
 * maxJobs}. Unlike sozu's version, which keeps the two heaviest, a candidate more loaded than every
 * other never wins while another can take the lease.
 */
final class PowerOfTwoStrategy extends TwoChoicesStrategy {

  PowerOfTwoStrategy(@Nullable RandomGenerator seeded) {
    super(seeded);
  }

  @Override
  int compare(Candidates candidates, int a, int b) {
    return compareLoads(candidates, a, b);
  }

  /** Compares {@code active / maxJobs} by cross-multiplying. */
  static int compareLoads(Candidates candidates, int a, int b) {
    long loadA = (long) candidates.active(a) * candidates.maxJobs(b);
    long loadB = (long) candidates.active(b) * candidates.maxJobs(a);
    return Long.compare(loadA, loadB);
  }

  @Override
  public String toString() {
    return StrategySettings.POWER_OF_TWO;
  }
}
