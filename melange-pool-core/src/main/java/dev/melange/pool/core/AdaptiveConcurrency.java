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
