package dev.melange.pool.core;

import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The power of two choices: draw two distinct candidates that can take a lease, uniformly at
 * random, and take the better by {@link #compare} (a tie at random). A candidate worse than every
 * other can then never be chosen while another can take the lease. When random draws keep finding
 * candidates that cannot take a lease (most are full), a scan takes the best of all that can, ties
 * at random; so a pick costs a few reads however many candidates there are, until nearly all are
 * full.
 */
abstract class TwoChoicesStrategy extends RandomizedStrategy {

  TwoChoicesStrategy(@Nullable RandomGenerator seeded) {
    super(seeded);
  }

  /** Negative when candidate {@code a} is the better choice, positive when {@code b} is. */
  abstract int compare(Candidates candidates, int a, int b);

  @Override
  public int pick(Candidates candidates) {
    RandomGenerator random = random();
    int a = draw(candidates, random, NONE);
    if (a != NONE) {
      int b = draw(candidates, random, a);
      if (b != NONE) {
        int order = compare(candidates, a, b);
        return order < 0 || (order == 0 && random.nextBoolean()) ? a : b;
      }
    }
    return best(candidates, random);
  }

  /** The best candidate that can take a lease, a tie at random (reservoir-style); or NONE. */
  private int best(Candidates candidates, RandomGenerator random) {
    int best = NONE;
    int ties = 0;
    for (int i = 0, n = candidates.size(); i < n; i++) {
      if (!candidates.canTake(i)) {
        continue;
      }
      int order = best == NONE ? -1 : compare(candidates, i, best);
      if (order < 0) {
        best = i;
        ties = 1;
      } else if (order == 0 && random.nextInt(++ties) == 0) {
        best = i;
      }
    }
    return best;
  }
}
