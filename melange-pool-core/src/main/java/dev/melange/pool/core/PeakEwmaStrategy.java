package dev.melange.pool.core;

import dev.melange.pool.core.config.StrategySettings;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Latency-aware (Finagle's and sozu's peak EWMA): of two random candidates, the one with the lower
 * cost {@code (active + 1) × latency estimate}. The pool times every lease for it; see {@link
 * LatencyEstimate}.
 */
final class PeakEwmaStrategy extends TwoChoicesStrategy {

  PeakEwmaStrategy(@Nullable RandomGenerator seeded) {
    super(seeded);
  }

  @Override
  public boolean usesLatency() {
    return true;
  }

  @Override
  int compare(Candidates candidates, int a, int b) {
    double costA = (candidates.active(a) + 1.0) * candidates.latencyNanos(a);
    double costB = (candidates.active(b) + 1.0) * candidates.latencyNanos(b);
    return Double.compare(costA, costB);
  }

  @Override
  public String toString() {
    return StrategySettings.PEAK_EWMA;
  }
}
