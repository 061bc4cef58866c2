package dev.melange.pool.core;

import dev.melange.pool.Ticker;
import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * melange-server's circuit breaker, done right: it opens after {@code failureThreshold} consecutive
 * failures, stays open for {@code recoveryTimeout}, then admits exactly one trial lease at a time.
 * The trial's success closes it, its failure re-opens it for a full timeout, and a trial that ends
 * with no outcome frees the trial for the next caller.
 *
 * <p>Implementation notes for maintainers. The whole state is one immutable {@link BreakerState} in
 * a volatile field; every change is a compare-and-set of a new state, so readers always see a
 * consistent state and no lock is taken. The common path allocates nothing: granting a permit while
 * closed is one volatile read, and a success while closed with no failures counted writes nothing.
 * Failures and transitions publish a new state object.
 *
 * <p>Every transition between closed and open (either way) starts a new <em>epoch</em>. A permit is
 * {@code epoch << 1 | trialBit}, so an outcome can tell whether it belongs to the current epoch.
 * Outcomes from an earlier epoch are ignored: a lease granted before the circuit opened can neither
 * close it nor count against the fresh start after it closed.
 */
final class ConsecutiveFailuresCircuitBreaker implements CircuitBreaker {
  private static final long TRIAL = 1L;
  private static final VarHandle STATE;

  static {
    try {
      STATE =
          MethodHandles.lookup()
              .findVarHandle(ConsecutiveFailuresCircuitBreaker.class, "state", BreakerState.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private final int failureThreshold;
  private final long recoveryNanos;
  private volatile BreakerState state = BreakerState.INITIAL;

  ConsecutiveFailuresCircuitBreaker(Ticker ticker, int failureThreshold, Duration recoveryTimeout) {
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be >= 1, was " + failureThreshold);
    }
    if (recoveryTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "recoveryTimeout must be >= 0, was " + GoDuration.format(recoveryTimeout));
    }
    this.ticker = ticker;
    this.failureThreshold = failureThreshold;
    this.recoveryNanos = saturatedNanos(recoveryTimeout);
  }

  /** The factory the pool uses unless told otherwise. */
  static CircuitBreaker.Factory factory(int failureThreshold, Duration recoveryTimeout) {
    return (backend, ticker) ->
        new ConsecutiveFailuresCircuitBreaker(ticker, failureThreshold, recoveryTimeout);
  }

  @Override
  public boolean isAdmitting() {
    BreakerState s = state;
    return !s.open || (!s.trialOut && recoveryElapsed(s));
  }

  @Override
  public long tryAcquirePermit() {
    while (true) {
      BreakerState s = state;
      if (!s.open) {
        return s.epoch << 1;
      }
      if (s.trialOut || !recoveryElapsed(s)) {
        return REFUSED;
      }
      if (STATE.compareAndSet(this, s, s.withTrialOut(true))) {
        return s.epoch << 1 | TRIAL;
      }
    }
  }

  @Override
  public void onSuccess(long permit) {
    while (true) {
      BreakerState s = state;
      if (s.epoch != permit >>> 1) {
        return;
      }
      BreakerState next;
      if ((permit & TRIAL) != 0) {
        next = s.closed();
      } else if (s.failures == 0) {
        return;
      } else {
        next = s.withFailures(0);
      }
      if (STATE.compareAndSet(this, s, next)) {
        return;
      }
    }
  }

  @Override
  public void onFailure(long permit, Throwable cause) {
    long now = ticker.read();
    while (true) {
      BreakerState s = state;
      if (s.epoch != permit >>> 1) {
        return;
      }
      int failures = s.failures == Integer.MAX_VALUE ? s.failures : s.failures + 1;
      BreakerState next =
          (permit & TRIAL) != 0 || failures >= failureThreshold
              ? s.opened(failures, now)
              : s.withFailure(failures, now);
      if (STATE.compareAndSet(this, s, next)) {
        return;
      }
    }
  }

  @Override
  public void onNoOutcome(long permit) {
    if ((permit & TRIAL) == 0) {
      return;
    }
    while (true) {
      BreakerState s = state;
      if (s.epoch != permit >>> 1 || !s.trialOut) {
        return;
      }
      if (STATE.compareAndSet(this, s, s.withTrialOut(false))) {
        return;
      }
    }
  }

  @Override
  public Snapshot snapshot() {
    BreakerState s = state;
    OptionalLong lastFailure =
        s.hasFailed ? OptionalLong.of(s.lastFailureNanos) : OptionalLong.empty();
    if (!s.open) {
      return new Snapshot(State.CLOSED, s.failures, lastFailure, 0);
    }
    long remaining = recoveryNanos - (ticker.read() - s.openedNanos);
    if (s.trialOut || remaining <= 0) {
      return new Snapshot(State.HALF_OPEN, s.failures, lastFailure, 0);
    }
    return new Snapshot(State.OPEN, s.failures, lastFailure, remaining);
  }

  private boolean recoveryElapsed(BreakerState s) {
    return ticker.read() - s.openedNanos >= recoveryNanos;
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /** One immutable state of the breaker; see the class comment. */
  private static final class BreakerState {
    static final BreakerState INITIAL = new BreakerState(0, false, 0, false, 0, false, 0);

    final long epoch;
    final boolean open;
    final long openedNanos;
    final boolean trialOut;
    final int failures;
    final boolean hasFailed;
    final long lastFailureNanos;

    BreakerState(
        long epoch,
        boolean open,
        long openedNanos,
        boolean trialOut,
        int failures,
        boolean hasFailed,
        long lastFailureNanos) {
      this.epoch = epoch;
      this.open = open;
      this.openedNanos = openedNanos;
      this.trialOut = trialOut;
      this.failures = failures;
      this.hasFailed = hasFailed;
      this.lastFailureNanos = lastFailureNanos;
    }

    BreakerState withTrialOut(boolean out) {
      return new BreakerState(epoch, open, openedNanos, out, failures, hasFailed, lastFailureNanos);
    }

    BreakerState withFailures(int count) {
      return new BreakerState(
          epoch, open, openedNanos, trialOut, count, hasFailed, lastFailureNanos);
    }

    BreakerState withFailure(int count, long now) {
      return new BreakerState(epoch, open, openedNanos, trialOut, count, true, now);
    }

    BreakerState opened(int count, long now) {
      return new BreakerState(epoch + 1, true, now, false, count, true, now);
    }

    BreakerState closed() {
      return new BreakerState(epoch + 1, false, 0, false, 0, hasFailed, lastFailureNanos);
    }
  }
}
