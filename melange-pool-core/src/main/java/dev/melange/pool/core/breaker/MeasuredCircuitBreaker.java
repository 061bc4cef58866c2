package dev.melange.pool.core.breaker;

import dev.melange.pool.CallStats;
import org.jspecify.annotations.Nullable;

/** A circuit breaker that counts calls over a window, for {@code BackendStatus.calls}. */
public interface MeasuredCircuitBreaker {

  /** The counts of its window now, or null when it keeps none. */
  @Nullable CallStats callStats();

  /** Percent of {@code part} in {@code whole}; 0 when whole is 0. */
  static double percent(long part, long whole) {
    return whole == 0 ? 0 : part * 100.0 / whole;
  }
}
