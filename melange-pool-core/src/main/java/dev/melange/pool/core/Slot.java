package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One incarnation of a backend in the pool: its job counter, its limit, its circuit breaker and
 * whether it has been removed. A backend removed and added again gets a new slot, so a late release
 * of the old incarnation never touches the new one.
 *
 * <p>Invariants: {@code 0 <= active <= maxJobs}. Only {@link #tryReserve()} increments {@code
 * active}, by a compare-and-set that fails at {@code maxJobs}; only {@link #release()} decrements
 * it, and each lease calls it exactly once for its one successful reservation. {@code retired} goes
 * from false to true once, before the topology without this slot is published; an acquirer checks
 * it after reserving, so a lease granted after removal is always undone.
 *
 * <p>Layout: the fields the scan reads ({@code active}, {@code maxJobs}, {@code retired}, {@code
 * breaker}) share one cache line, padded on both sides so that two slots' counters never share a
 * line (padding by class layout, as Caffeine does, because {@code @Contended} needs a JVM flag).
 */
final class Slot extends SlotPaddingAfter {
  final Backend backend;
  final WaitQueue waiters;

  Slot(Backend backend, int maxJobs, CircuitBreaker breaker, WaitQueue waiters) {
    super(maxJobs, breaker);
    this.backend = backend;
    this.waiters = waiters;
  }

  /** Takes a slot if one is free, with one compare-and-set; false if full or the race was lost. */
  boolean tryReserve() {
    int current = active;
    return current < maxJobs && ACTIVE.compareAndSet(this, current, current + 1);
  }

  /** Gives back a slot taken by {@link #tryReserve()}. */
  void release() {
    ACTIVE.getAndAdd(this, -1);
  }

  int active() {
    return active;
  }

  boolean isRetired() {
    return retired;
  }

  void retire() {
    retired = true;
  }

  @Override
  public String toString() {
    return backend.addr() + " (" + active + "/" + maxJobs + ")";
  }
}

/** Padding before the hot fields. */
@SuppressWarnings("unused")
abstract class SlotPaddingBefore {
  long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The fields the selection scan reads, on one cache line. */
abstract class SlotHotFields extends SlotPaddingBefore {
  static final VarHandle ACTIVE;

  static {
    try {
      ACTIVE = MethodHandles.lookup().findVarHandle(SlotHotFields.class, "active", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  volatile int active;
  volatile boolean retired;
  final int maxJobs;
  final CircuitBreaker breaker;

  SlotHotFields(int maxJobs, CircuitBreaker breaker) {
    this.maxJobs = maxJobs;
    this.breaker = breaker;
  }
}

/** Padding after the hot fields. */
@SuppressWarnings("unused")
abstract class SlotPaddingAfter extends SlotHotFields {
  long p10, p11, p12, p13, p14, p15, p16, p17;

  SlotPaddingAfter(int maxJobs, CircuitBreaker breaker) {
    super(maxJobs, breaker);
  }
}
