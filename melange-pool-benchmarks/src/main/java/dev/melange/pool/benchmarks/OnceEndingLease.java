package dev.melange.pool.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The end-exactly-once guard every reference lease shares with melange-pool's own lease: a
 * compare-and-set on a volatile flag, so that a second or concurrent end gives nothing back twice.
 * A plain read first keeps an already ended lease from paying for the compare-and-set. Thread-safe.
 */
abstract class OnceEndingLease {
  private static final VarHandle ENDED;

  static {
    try {
      ENDED = MethodHandles.lookup().findVarHandle(OnceEndingLease.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile boolean ended;

  /** True for exactly one caller: the one that ends the lease. */
  final boolean tryEnd() {
    return !ended && ENDED.compareAndSet(this, false, true);
  }

  /** Whether the lease is still out. */
  final boolean isActive() {
    return !ended;
  }
}
