package dev.melange.pool.core;

import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The layout of a slot, as Caffeine lays out its cache's header (BLCHeader): the fields the
 * acquire/release path reads ({@code active}, {@code maxJobs}, {@code weight}, {@code breaker},
 * {@code waiters}) share one cache line, padded on both sides so that two slots' counters never
 * share a line. Padding by class layout, because {@code @Contended} needs a JVM flag. The classes
 * hold fields only; {@link SlotCounter} holds what is done with the word.
 */

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

  /**
   * Plain fields, not final, only so that a reload can change them in place (under the topology
   * lock, followed by a new topology's volatile publication); the JIT treats final instance fields
   * as ordinary ones anyway. A reader that sees the old value for a moment errs by one lease.
   */
  int maxJobs;

  int weight;

  final CircuitBreaker breaker;

  /** Read on every release, so it sits with the counter rather than a cache line away. */
  final WaitQueue waiters;

  SlotHotFields(int maxJobs, int weight, CircuitBreaker breaker, WaitQueue waiters) {
    this.maxJobs = maxJobs;
    this.weight = weight;
    this.breaker = breaker;
    this.waiters = waiters;
  }
}

/** Padding after the hot fields. */
@SuppressWarnings("unused")
abstract class SlotPaddingAfter extends SlotHotFields {
  long p10, p11, p12, p13, p14, p15, p16, p17;

  SlotPaddingAfter(int maxJobs, int weight, CircuitBreaker breaker, WaitQueue waiters) {
    super(maxJobs, weight, breaker, waiters);
  }
}
