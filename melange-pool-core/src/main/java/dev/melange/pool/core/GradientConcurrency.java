package dev.melange.pool.core;

import dev.melange.pool.AdaptiveLimit;

/**
 * Netflix concurrency-limits' Gradient2: a long-term average of lease time (exponential, over 600
 * samples after a plain average of the first 10) against the latest one. While the latest is no
 * slower than the average the gradient is 1 and the limit grows by a queue allowance of 4; as it
 * gets slower the gradient falls (to 0.5 at most) and the limit with it. Each new limit is smoothed
 * 0.2 towards the old one. When the average runs more than twice the latest (after a long overload
 * ends), it decays ×0.9 so that the limit recovers. It does not grow while the backend uses less
 * than half its limit. A failure multiplies the limit by 0.9 (Gradient2 itself ignores outcomes;
 * for a build backend a failure says more than its latency).
 */
final class GradientConcurrency extends AdaptiveConcurrency {
  static final int LONG_WINDOW = 600;
  static final int WARMUP = 10;
  static final double QUEUE = 4;
  static final double SMOOTHING = 0.2;

  private double estimate;
  private double longNanos;
  private int samples;

  GradientConcurrency(AdaptiveLimit settings, Slot slot, int max, PoolEvents events) {
    super(settings, slot, max, events);
    this.estimate = max;
  }

  @Override
  int estimate() {
    return (int) estimate;
  }

  @Override
  void onSuccess(long nanos, int inflight) {
    double shortNanos = Math.max(1, nanos);
    if (samples < WARMUP) {
      samples++;
      longNanos += (shortNanos - longNanos) / samples;
    } else {
      longNanos += (shortNanos - longNanos) * 2 / (LONG_WINDOW + 1);
    }
    if (longNanos / shortNanos > 2) {
      longNanos *= 0.9;
    }
    if (inflight < estimate / 2) {
      return;
    }
    double gradient = Math.max(0.5, Math.min(1.0, longNanos / shortNanos));
    double next = estimate * gradient + QUEUE;
    next = estimate * (1 - SMOOTHING) + next * SMOOTHING;
    estimate = Math.max(min(), Math.min(max(), next));
  }

  @Override
  void onFailure() {
    estimate = Math.max(min(), estimate * BACKOFF);
  }

  @Override
  void rescale(int max) {
    estimate = Math.min(estimate, max);
  }
}
