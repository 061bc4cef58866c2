package dev.melange.pool.core;

import dev.melange.pool.AdaptiveLimit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend's adaptive concurrency limit: it learns from each lease that ends (how long it was
 * held, whether it failed) and sets the slot's effective {@code maxJobs}, between {@code min} and
 * the configured {@code maxJobs}. It starts at the configured limit.
 *
 * <p>Thread-safety: leases end on any thread. One sample at a time updates the estimate: a thread
 * that finds another updating does not wait; its sample is dropped if it was a success (the
 * estimate is statistical; one sample fewer changes nothing), and queued as a pending failure if it
 * failed, which the next update applies first. So ending a lease never blocks. The configured limit
 * changes only on a reload, which does wait for the update under way (it is the slow path).
 */
abstract class AdaptiveConcurrency {
  final AdaptiveLimit settings;
  private final Slot slot;
  private final PoolEvents events;
  private final AtomicBoolean updating = new AtomicBoolean();
  private final AtomicInteger pendingFailures = new AtomicInteger();

  /** The configured maxJobs; written under {@code updating}, read by status without it. */
  private volatile int max;

  /** The limit in force, as the slot has it; written under {@code updating}. */
  private volatile int limit;

  AdaptiveConcurrency(AdaptiveLimit settings, Slot slot, int max, PoolEvents events) {
    this.settings = settings;
    this.slot = slot;
    this.events = events;
    this.max = max;
    this.limit = max;
  }

  /** The algorithm {@code settings} names, for {@code slot} with configured limit {@code max}. */
  static AdaptiveConcurrency create(AdaptiveLimit settings, Slot slot, int max, PoolEvents events) {
    return switch (settings.algorithm()) {
      case AIMD -> new AimdConcurrency(settings, slot, max, events);
      case GRADIENT -> new GradientConcurrency(settings, slot, max, events);
    };
  }

  /** The limit now. */
  int limit() {
    return limit;
  }

  int min() {
    return Math.min(settings.min(), max);
  }

  int max() {
    return max;
  }

  /**
   * A lease ended after {@code nanos}.
   *
   * @param inflight the backend's leases out when it ended, itself included
   */
  final void sample(long nanos, int inflight, boolean failed) {
    if (!updating.compareAndSet(false, true)) {
      if (failed) {
        pendingFailures.incrementAndGet();
      }
      return;
    }
    int before = limit;
    try {
      for (int pending = pendingFailures.getAndSet(0); pending > 0; pending--) {
        onFailure();
      }
      if (failed) {
        onFailure();
      } else {
        onSuccess(nanos, inflight);
      }
      apply(before);
    } finally {
      updating.set(false);
    }
  }

  /**
   * A reload's new configured limit: the current one is capped to it (a larger one lets the
   * algorithm grow into it). Waits for an update under way.
   */
  final void reconfigure(int newMax) {
    while (!updating.compareAndSet(false, true)) {
      Thread.onSpinWait();
    }
    int before = limit;
    try {
      max = newMax;
      rescale(newMax);
      apply(before);
    } finally {
      updating.set(false);
    }
  }

  /**
   * Stops for good (a reload replaced it): waits for an update under way and keeps the flag, so no
   * later sample writes the slot's limit.
   */
  final void retire() {
    while (!updating.compareAndSet(false, true)) {
      Thread.onSpinWait();
    }
  }

  /** Sets the slot's limit from the estimate; tells listeners when it moved. */
  private void apply(int before) {
    int after = Math.max(min(), Math.min(max, estimate()));
    limit = after;
    slot.maxJobs = after;
    if (after != before) {
      events.limitChanged(slot.backend.addr(), before, after);
    }
  }

  /** The estimate, before clamping to [min, max]. */
  abstract int estimate();

  /** A lease succeeded. */
  abstract void onSuccess(long nanos, int inflight);

  /** A lease failed: back off. */
  abstract void onFailure();

  /** The configured limit changed to {@code max}: keep the estimate within it. */
  abstract void rescale(int max);

  /** The backoff on a failure (and, for AIMD, on a slow lease): ×0.9. */
  static final double BACKOFF = 0.9;
}

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
