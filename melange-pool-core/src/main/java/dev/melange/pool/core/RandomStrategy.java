package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A uniformly random candidate among those that can take a lease: a few random draws (each accepted
 * only if the candidate can take a lease, which keeps the choice uniform), then, when most are
 * full, a count and a second pass.
 */
final class RandomStrategy extends RandomizedStrategy {

  RandomStrategy(@Nullable RandomGenerator seeded) {
    super(seeded);
  }

  @Override
  public int pick(Candidates candidates) {
    RandomGenerator random = random();
    int drawn = draw(candidates, random, NONE);
    if (drawn != NONE) {
      return drawn;
    }
    int n = candidates.size();
    int available = 0;
    for (int i = 0; i < n; i++) {
      if (candidates.canTake(i)) {
        available++;
      }
    }
    if (available == 0) {
      return NONE;
    }
    int skip = random.nextInt(available);
    int last = NONE;
    for (int i = 0; i < n; i++) {
      if (candidates.canTake(i)) {
        last = i;
        if (skip-- == 0) {
          return i;
        }
      }
    }
    return last; // Fewer can take one than a moment ago.
  }

  @Override
  public String toString() {
    return StrategySettings.RANDOM;
  }
}
