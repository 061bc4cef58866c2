package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Envoy's weighted least request. With unequal weights, each candidate that can take a lease gets
 * the effective weight {@code weight / (active + 1)^bias} and one is chosen at random in proportion
 * to it (two passes over the candidates); with equal weights, the power of two choices by load.
 */
final class WeightedLeastRequestStrategy extends RandomizedStrategy {
  private final double bias;
  private final PowerOfTwoStrategy equalWeights;

  WeightedLeastRequestStrategy(double bias, @Nullable RandomGenerator seeded) {
    super(seeded);
    if (!(bias >= 0) || Double.isInfinite(bias)) {
      throw new IllegalArgumentException("bias must be >= 0 and finite, was " + bias);
    }
    this.bias = bias;
    this.equalWeights = new PowerOfTwoStrategy(seeded);
  }

  @Override
  public int pick(Candidates candidates) {
    if (candidates.weightsEqual()) {
      return equalWeights.pick(candidates);
    }
    int n = candidates.size();
    double total = 0;
    for (int i = 0; i < n; i++) {
      if (candidates.canTake(i)) {
        total += effectiveWeight(candidates, i);
      }
    }
    if (!(total > 0)) {
      // Every effective weight underflowed (a large bias against many leases out): none is
      // preferred by weight, so by load.
      return equalWeights.pick(candidates);
    }
    double target = random().nextDouble() * total;
    int last = NONE;
    for (int i = 0; i < n; i++) {
      if (candidates.canTake(i)) {
        last = i;
        target -= effectiveWeight(candidates, i);
        if (target < 0) {
          return i;
        }
      }
    }
    return last; // Fewer can take one than a moment ago, or rounding.
  }

  private double effectiveWeight(Candidates candidates, int index) {
    double requests = candidates.active(index) + 1.0;
    double divisor = bias == 1.0 ? requests : Math.pow(requests, bias);
    return candidates.weight(index) / divisor;
  }

  @Override
  public String toString() {
    return StrategySettings.WEIGHTED_LEAST_REQUEST;
  }
}
