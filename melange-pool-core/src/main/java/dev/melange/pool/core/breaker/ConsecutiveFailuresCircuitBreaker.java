package dev.melange.pool.core.breaker;

import dev.melange.pool.Backend;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.time.Durations;
import dev.melange.pool.core.time.GoDuration;
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
 * <p>Implementation notes for maintainers. The state is one {@code long}, {@link #word}, changed
 * only by compare-and-set: bits 0–31 hold the <em>epoch</em>, bits 32–60 count consecutive failures
 * (saturating), bit 61 says the open circuit has half-opened (a trial was taken in this epoch: it
 * stays half-open, as its listener heard, though a trial that ends with no outcome frees its
 * place), bit 62 says a trial lease is out, bit 63 that the circuit is open. So the word is
 * non-negative exactly when the circuit is closed, and equals the epoch exactly when it is closed
 * with no failures counted: the common path is one volatile read and one comparison, with no
 * pointer to chase. A success while closed with no failures counted writes nothing. Nothing is
 * allocated but when the circuit opens.
 *
 * <p>Every transition between closed and open (either way) starts a new epoch. A permit is {@code
 * epoch << 1 | trial}, so an outcome can tell whether it belongs to the current epoch. Outcomes
 * from an earlier epoch are ignored: a lease granted before the circuit opened can neither close it
 * nor count against the fresh start after it closed. Epochs wrap after 2^32 transitions, far more
 * than any lease outlives.
 *
 * <p>When the circuit opened lives outside the word, in an immutable {@link Opening} tagged with
 * the epoch it opened, written by the thread whose compare-and-set opened it, right after that
 * compare-and-set. Until it is visible, readers of the open word find another epoch's opening and
 * refuse, as if the timeout had not elapsed. That is safe and cannot last: an open epoch is left
 * only through a trial, and no trial is admitted before its opening is visible, so openings are
 * written in epoch order and a stale one never overwrites a newer one. (Writing it before the
 * compare-and-set was wrong: a thread whose compare-and-set then failed could, delayed, overwrite a
 * later epoch's opening and leave that circuit open for good.)
 *
 * <p>The {@link Listener} hears of each transition from the thread whose compare-and-set made it:
 * closed to open, open to half-open (when the trial is taken, not merely when the timeout elapses),
 * half-open to closed and half-open to open.
 */
public final class ConsecutiveFailuresCircuitBreaker implements CircuitBreaker {
  private static final long EPOCH = 0xFFFF_FFFFL;
  private static final int FAILURES_SHIFT = 32;
  private static final long MAX_FAILURES = (1L << 29) - 1;
  private static final long FAILURES = MAX_FAILURES << FAILURES_SHIFT;
  private static final long HALF_OPENED = 1L << 61;
  private static final long TRIAL = 1L << 62;
  private static final long OPEN = 1L << 63;

  /** The low bit of a permit: granted as the half-open circuit's trial. */
  private static final long TRIAL_PERMIT = 1L;

  private static final VarHandle WORD;

  static {
    try {
      WORD =
          MethodHandles.lookup()
              .findVarHandle(ConsecutiveFailuresCircuitBreaker.class, "word", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private final Listener listener;
  private final int failureThreshold;
  private final long recoveryNanos;
  private volatile long word;
  private volatile Opening opening = Opening.NEVER;

  /** Written after the failure is counted; for status reports only. */
  private volatile long lastFailureNanos;

  private volatile boolean hasFailed;

  public ConsecutiveFailuresCircuitBreaker(
      Ticker ticker, int failureThreshold, Duration recoveryTimeout) {
    this(ticker, failureThreshold, recoveryTimeout, Listener.NONE);
  }

  public ConsecutiveFailuresCircuitBreaker(
      Ticker ticker, int failureThreshold, Duration recoveryTimeout, Listener listener) {
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be >= 1, was " + failureThreshold);
    }
    if (recoveryTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "recoveryTimeout must be >= 0, was " + GoDuration.format(recoveryTimeout));
    }
    this.ticker = ticker;
    this.listener = listener;
    this.failureThreshold = failureThreshold;
    this.recoveryNanos = Durations.saturatedNanos(recoveryTimeout);
  }

  /** The factory the pool uses unless told otherwise. */
  public static CircuitBreaker.Factory factory(int failureThreshold, Duration recoveryTimeout) {
    return new Factory() {
      @Override
      public CircuitBreaker create(Backend backend, Ticker ticker) {
        return create(backend, ticker, Listener.NONE);
      }

      @Override
      public CircuitBreaker create(Backend backend, Ticker ticker, Listener listener) {
        return new ConsecutiveFailuresCircuitBreaker(
            ticker, failureThreshold, recoveryTimeout, listener);
      }
    };
  }

  @Override
  public boolean isAdmitting() {
    long w = word;
    return w >= 0 || isTrialFree(w);
  }

  private boolean isTrialFree(long w) {
    return (w & TRIAL) == 0 && recoveryElapsed(w);
  }

  // Each method has a straight-line fast path for the closed circuit and leaves the compare-and-set
  // loops to methods of their own: the JIT inlines the small part into the pool's hot path.

  @Override
  public long tryAcquirePermit() {
    long w = word;
    if (w >= 0) {
      return epoch(w) << 1;
    }
    return tryAcquireTrial();
  }

  private long tryAcquireTrial() {
    while (true) {
      long w = word;
      if ((w & OPEN) == 0) {
        return epoch(w) << 1;
      }
      if ((w & TRIAL) != 0 || !recoveryElapsed(w)) {
        return REFUSED;
      }
      if (WORD.compareAndSet(this, w, w | TRIAL | HALF_OPENED)) {
        if ((w & HALF_OPENED) == 0) {
          listener.onStateChange(State.OPEN, State.HALF_OPEN);
        }
        return epoch(w) << 1 | TRIAL_PERMIT;
      }
    }
  }

  @Override
  public void onSuccess(long permit) {
    // The word equals the epoch only while closed with no failures counted, and a permit of a
    // closed epoch is never a trial: a success changes nothing then.
    if (word == permit >>> 1) {
      return;
    }
    recordSuccess(permit);
  }

  private void recordSuccess(long permit) {
    while (true) {
      long w = word;
      if (epoch(w) != permit >>> 1) {
        return;
      }
      long next;
      if ((permit & TRIAL_PERMIT) != 0) {
        next = nextEpoch(w); // closed, no failures, no trial
      } else if ((w & FAILURES) == 0) {
        return;
      } else {
        next = w & ~FAILURES;
      }
      if (WORD.compareAndSet(this, w, next)) {
        if ((permit & TRIAL_PERMIT) != 0) {
          listener.onStateChange(State.HALF_OPEN, State.CLOSED);
        }
        return;
      }
    }
  }

  @Override
  public void onFailure(long permit, Throwable cause) {
    long now = ticker.read();
    while (true) {
      long w = word;
      if (epoch(w) != permit >>> 1) {
        return;
      }
      long failures = Math.min(failures(w) + 1, MAX_FAILURES);
      boolean opens = (permit & TRIAL_PERMIT) != 0 || failures >= failureThreshold;
      long next =
          opens
              ? nextEpoch(w) | OPEN | failures << FAILURES_SHIFT
              : (w & ~FAILURES) | failures << FAILURES_SHIFT;
      if (WORD.compareAndSet(this, w, next)) {
        if (opens) {
          opening = new Opening(epoch(next), now);
        }
        lastFailureNanos = now;
        hasFailed = true;
        if (opens) {
          listener.onStateChange(
              (permit & TRIAL_PERMIT) != 0 ? State.HALF_OPEN : State.CLOSED, State.OPEN);
        }
        return;
      }
    }
  }

  @Override
  public void onNoOutcome(long permit) {
    if ((permit & TRIAL_PERMIT) == 0) {
      return;
    }
    while (true) {
      long w = word;
      if (epoch(w) != permit >>> 1 || (w & TRIAL) == 0) {
        return;
      }
      if (WORD.compareAndSet(this, w, w & ~TRIAL)) {
        return;
      }
    }
  }

  @Override
  public Snapshot snapshot() {
    long w = word;
    int failures = (int) failures(w);
    OptionalLong lastFailure = hasFailed ? OptionalLong.of(lastFailureNanos) : OptionalLong.empty();
    if ((w & OPEN) == 0) {
      return new Snapshot(State.CLOSED, failures, lastFailure, 0);
    }
    Opening open = opening;
    long remaining =
        open.epoch == epoch(w) ? recoveryNanos - (ticker.read() - open.nanos) : recoveryNanos;
    if ((w & (TRIAL | HALF_OPENED)) != 0) {
      return new Snapshot(State.HALF_OPEN, failures, lastFailure, 0);
    }
    // Open until the trial is taken (when the listener hears OPEN -> HALF_OPEN), even once the
    // timeout is over and a trial may go through.
    return new Snapshot(State.OPEN, failures, lastFailure, Math.max(0, remaining));
  }

  /** Whether the circuit opened in {@code w}'s epoch has waited out its recovery timeout. */
  private boolean recoveryElapsed(long w) {
    Opening open = opening;
    return open.epoch == epoch(w) && ticker.read() - open.nanos >= recoveryNanos;
  }

  private static long epoch(long w) {
    return w & EPOCH;
  }

  private static long failures(long w) {
    return (w & FAILURES) >>> FAILURES_SHIFT;
  }

  /** The next epoch, closed, no failures, no trial. */
  private static long nextEpoch(long w) {
    return (w + 1) & EPOCH;
  }

  /** When the circuit opened, and in which epoch. */
  private static final class Opening {
    static final Opening NEVER = new Opening(-1, 0);

    final long epoch;
    final long nanos;

    Opening(long epoch, long nanos) {
      this.epoch = epoch;
      this.nanos = nanos;
    }
  }
}
