package dev.melange.pool.core;

import dev.melange.pool.AdaptiveLimit;

/**
 * Additive increase, multiplicative decrease: +1 after a window of successes (as many as the limit)
 * while the backend uses at least half its limit; ×0.9 (at least −1) on a failure or a lease held
 * longer than {@code latencyThreshold}.
 */
final class AimdConcurrency extends AdaptiveConcurrency {
  private final long thresholdNanos;

  /** Written under the update flag, as all state below. */
  private int estimate;

  private int successes;

  AimdConcurrency(AdaptiveLimit settings, Slot slot, int max, PoolEvents events) {
    super(settings, slot, max, events);
    this.thresholdNanos = settings.latencyThreshold().toNanos();
    this.estimate = max;
  }

  @Override
  int estimate() {
    return estimate;
  }

  @Override
  void onSuccess(long nanos, int inflight) {
    if (thresholdNanos > 0 && nanos > thresholdNanos) {
      onFailure();
      return;
    }
    if (inflight * 2 < estimate) {
      return; // not the bottleneck: its latency says nothing about more load
    }
    if (++successes >= estimate) {
      successes = 0;
      estimate = Math.min(max(), estimate + 1);
    }
  }

  @Override
  void onFailure() {
    successes = 0;
    estimate = Math.max(min(), Math.min(estimate - 1, (int) (estimate * BACKOFF)));
  }

  @Override
  void rescale(int max) {
    estimate = Math.min(estimate, max);
  }
}
