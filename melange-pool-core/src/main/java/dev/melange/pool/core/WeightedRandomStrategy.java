package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A random candidate among those that can take a lease, with probability proportional to its weight
 * (scaled down while it ramps up). A pick draws by configured weight, with a binary search over the
 * cumulative weights, and accepts the candidate if it can take a lease (and, while it ramps, with
 * probability {@code ramped weight / weight}): rejection sampling, exact and about logarithmic in
 * the number of candidates. When a few draws all miss (most are full), two passes: one sums the
 * weights of those that can take a lease, one finds where a draw falls.
 */
final class WeightedRandomStrategy extends RandomizedStrategy {

  WeightedRandomStrategy(@Nullable RandomGenerator seeded) {
    super(seeded);
  }

  @Override
  public int pick(Candidates candidates) {
    RandomGenerator random = random();
    if (candidates instanceof CandidateList list) {
      long total = list.totalWeight();
      for (int draw = 0; draw < DRAWS; draw++) {
        int index = list.indexOfWeight(random.nextLong(total));
        if (!candidates.canTake(index)) {
          continue;
        }
        int weight = list.slots[index].weight;
        int now = candidates.weight(index);
        if (now == weight || random.nextInt(weight) < now) {
          return index;
        }
      }
    }
    return scan(candidates, random);
  }

  private static int scan(Candidates candidates, RandomGenerator random) {
    int n = candidates.size();
    long total = 0;
    for (int i = 0; i < n; i++) {
      if (candidates.canTake(i)) {
        total += candidates.weight(i);
      }
    }
    if (total == 0) {
      return NONE;
    }
    long target = random.nextLong(total);
    int last = NONE;
    for (int i = 0; i < n; i++) {
      if (candidates.canTake(i)) {
        last = i;
        target -= candidates.weight(i);
        if (target < 0) {
          return i;
        }
      }
    }
    return last; // Fewer can take one than a moment ago.
  }

  @Override
  public String toString() {
    return StrategySettings.WEIGHTED_RANDOM;
  }
}
