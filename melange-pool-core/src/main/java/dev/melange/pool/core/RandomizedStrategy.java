package dev.melange.pool.core;

import dev.melange.pool.spi.LoadBalancer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A strategy that draws random numbers: from the calling thread's {@link ThreadLocalRandom}, or
 * from a generator given for reproducible tests (it must then be thread-safe, as {@link
 * java.util.Random} is, if picks run concurrently).
 */
abstract class RandomizedStrategy implements LoadBalancer {
  /** Draws before falling back to a scan, when the candidates drawn cannot take a lease. */
  static final int DRAWS = 4;

  private final @Nullable RandomGenerator seeded;

  RandomizedStrategy(@Nullable RandomGenerator seeded) {
    this.seeded = seeded;
  }

  final RandomGenerator random() {
    RandomGenerator given = seeded;
    return given != null ? given : ThreadLocalRandom.current();
  }

  /**
   * A uniformly random candidate that can take a lease, other than {@code excluded}; {@link #NONE}
   * if {@link #DRAWS} draws found none (which does not mean there is none).
   */
  static int draw(Candidates candidates, RandomGenerator random, int excluded) {
    int n = candidates.size();
    int choices = excluded == NONE ? n : n - 1;
    if (choices == 0) {
      return NONE;
    }
    for (int draw = 0; draw < DRAWS; draw++) {
      int index = random.nextInt(choices);
      if (excluded != NONE && index >= excluded) {
        index++;
      }
      if (candidates.canTake(index)) {
        return index;
      }
    }
    return NONE;
  }
}
