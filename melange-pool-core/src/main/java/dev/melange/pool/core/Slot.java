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
 * <p>Invariants: the jobs running are {@code active & ~RETIRED}, from 0 to {@code maxJobs}. Only
 * {@link #tryReserve()} increments {@code active}, by a compare-and-set that fails at {@code
 * maxJobs}; only {@link #release()} decrements it, and each lease calls it exactly once for its one
 * successful reservation. Removal adds {@link #RETIRED} once, before the topology without this slot
 * is published: from then on every reservation sees the slot full and fails, while the leases
 * already out release as before. So "removed" and "full" are one check on one word, and no lease
 * can slip in between them.
 *
 * <p>Layout: the fields the acquire/release path reads ({@code active}, {@code maxJobs}, {@code
 * breaker}, {@code waiters}) share one cache line, padded on both sides so that two slots' counters
 * never share a line (padding by class layout, as Caffeine does, because {@code @Contended} needs a
 * JVM flag).
 */
final class Slot extends SlotPaddingAfter {
  /**
   * Added to the counter on removal; above any {@code maxJobs} ({@link Backend#MAX_JOBS_LIMIT}).
   */
  static final int RETIRED = 1 << 30;

  final Backend backend;

  Slot(Backend backend, int maxJobs, CircuitBreaker breaker, WaitQueue waiters) {
    super(maxJobs, breaker, waiters);
    this.backend = backend;
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

  /** The jobs running on this slot now. */
  int active() {
    return active & ~RETIRED;
  }

  boolean isRetired() {
    return (active & RETIRED) != 0;
  }

  /** Refuses every later reservation; leases already out finish and release normally. */
  void retire() {
    ACTIVE.getAndAdd(this, RETIRED);
  }

  @Override
  public String toString() {
    return backend.addr() + " (" + active() + "/" + maxJobs + (isRetired() ? ", removed)" : ")");
  }
}

/**
 * Padding before the hot fields: bytes, not longs. The JVM (15 and later) fills gaps in a
 * superclass's layout with a subclass's fields; with long padding, {@code active} landed in the
 * 4-byte gap after the object header, before the padding, next to whatever object precedes the slot
 * in memory (often the previous slot's circuit breaker, read on every scan). Bytes leave no gap to
 * fill. JOL's {@code ClassLayout} shows the result.
 */
@SuppressWarnings("unused")
abstract class SlotPaddingBefore {
  byte b00,
      b01,
      b02,
      b03,
      b04,
      b05,
      b06,
      b07,
      b08,
      b09,
      b10,
      b11,
      b12,
      b13,
      b14,
      b15,
      b16,
      b17,
      b18,
      b19,
      b20,
      b21,
      b22,
      b23,
      b24,
      b25,
      b26,
      b27,
      b28,
      b29,
      b30,
      b31,
      b32,
      b33,
      b34,
      b35,
      b36,
      b37,
      b38,
      b39,
      b40,
      b41,
      b42,
      b43,
      b44,
      b45,
      b46,
      b47,
      b48,
      b49,
      b50,
      b51,
      b52,
      b53,
      b54,
      b55,
      b56,
      b57,
      b58,
      b59,
      b60,
      b61,
      b62,
      b63;
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
  final int maxJobs;
  final CircuitBreaker breaker;

  /** Read on every release, so it sits with the counter rather than a cache line away. */
  final WaitQueue waiters;

  SlotHotFields(int maxJobs, CircuitBreaker breaker, WaitQueue waiters) {
    this.maxJobs = maxJobs;
    this.breaker = breaker;
    this.waiters = waiters;
  }
}

/** Padding after the hot fields. */
@SuppressWarnings("unused")
abstract class SlotPaddingAfter extends SlotHotFields {
  long p10, p11, p12, p13, p14, p15, p16, p17;

  SlotPaddingAfter(int maxJobs, CircuitBreaker breaker, WaitQueue waiters) {
    super(maxJobs, breaker, waiters);
  }
}
