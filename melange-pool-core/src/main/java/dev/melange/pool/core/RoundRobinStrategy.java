package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.spi.LoadBalancer;

/**
 * Each pick starts one candidate further on than the last (per candidate set, across threads) and
 * takes the first from there that can take a lease. With equal capacity and nothing full, N × k
 * picks over N candidates give exactly k each.
 */
final class RoundRobinStrategy implements LoadBalancer {
  static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

  private RoundRobinStrategy() {}

  @Override
  public int pick(Candidates candidates) {
    int n = candidates.size();
    int index = (int) Math.floorMod(candidates.nextTicket(), (long) n);
    for (int tried = 0; tried < n; tried++) {
      if (candidates.canTake(index)) {
        return index;
      }
      if (++index == n) {
        index = 0;
      }
    }
    return NONE;
  }

  @Override
  public String toString() {
    return StrategySettings.ROUND_ROBIN;
  }
}
