package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.Lease;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * A lease on one {@link Slot}. It ends exactly once: whichever of the three ending calls wins the
 * compare-and-set on {@code ended} tells the circuit breaker, gives the slot back and signals the
 * waiters; the others return at once. This is the only object the acquire/release path allocates.
 * Not final only for {@link TimedLease}; the pool makes one class or the other, never both, so the
 * release path's calls stay monomorphic.
 */
class PooledLease implements Lease {
  private static final VarHandle ENDED;

  static {
    try {
      ENDED = MethodHandles.lookup().findVarHandle(PooledLease.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Slot slot;
  private final long permit;
  private volatile boolean ended;

  PooledLease(Slot slot, long permit) {
    this.slot = slot;
    this.permit = permit;
  }

  @Override
  public Backend backend() {
    return slot.placedBackend();
  }

  @Override
  public void recordSuccess() {
    if (end()) {
      try {
        slot.breaker.onSuccess(permit);
      } finally {
        giveBack(false);
      }
    }
  }

  @Override
  public void recordFailure(@Nullable Throwable cause) {
    if (end()) {
      try {
        slot.breaker.onFailure(permit, cause == null ? FailureWithoutCause.INSTANCE : cause);
      } finally {
        giveBack(true);
      }
    }
  }

  @Override
  public void close() {
    if (end()) {
      try {
        slot.breaker.onNoOutcome(permit);
      } finally {
        giveBack(false);
      }
    }
  }

  private boolean end() {
    return ENDED.compareAndSet(this, false, true);
  }

  /**
   * Ends a lease its caller never saw (a grant that lost to a timeout, or an interrupt): like
   * {@link #close()}, but not a lease that ran, so it is not timed.
   */
  void closeUnused() {
    if (end()) {
      try {
        slot.breaker.onNoOutcome(permit);
        RateLimitedCircuitBreaker limited = slot.rateLimited();
        if (limited != null) {
          limited.unused(); // nobody used its token either
        }
      } finally {
        releaseSlot();
      }
    }
  }

  /**
   * Gives the slot back and serves waiters; once, after the breaker heard the outcome.
   *
   * @param failed whether the lease ended in a failure
   */
  void giveBack(boolean failed) {
    releaseSlot();
  }

  private void releaseSlot() {
    slot.release();
    slot.waiters.signal();
  }

  @Override
  public String toString() {
    return "Lease[" + slot.backend.addr() + (ended ? ", ended]" : "]");
  }

  /**
   * What the circuit breaker is told for a failure recorded without a cause: one shared instance,
   * with no stack trace (it would only show where the caller passed null).
   */
  static final class FailureWithoutCause extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("StaticAssignmentOfThrowable") // stackless, and never thrown
    static final FailureWithoutCause INSTANCE = new FailureWithoutCause();

    private FailureWithoutCause() {
      super("the lease's failure was recorded without a cause", null, false, false);
    }
  }
}
