package dev.melange.pool.core.breaker;

import dev.melange.pool.Backend;
import dev.melange.pool.CallStats;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Ticker;
import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The {@code failsafe} breaker: the pool's breaker SPI over a {@link dev.failsafe.CircuitBreaker}
 * (Failsafe 3.3.2), built from a {@link CircuitBreakerPolicy.Failsafe} or supplied by the user.
 * Failsafe decides; this class passes it the pool's calls and reports what it decided. Thread-safe,
 * as Failsafe's breaker is.
 *
 * <p>Permits and outcomes. {@link #tryAcquirePermit()} is Failsafe's; a success is Failsafe's
 * {@code recordSuccess()}, a failure its {@code recordException(cause)} (so a user's breaker with
 * {@code handle(...)} conditions judges the cause as Failsafe would: a cause it does not handle
 * counts as a success). As with Failsafe's own executor, an outcome counts in whatever state the
 * circuit is in when it arrives, even if its lease was granted in another.
 *
 * <p>A lease with no outcome. Failsafe 3.3.2 has no public way to give a permit back: its states
 * release a permit ({@code CircuitState.releasePermit()}, package-private in {@code
 * dev.failsafe.internal}) only after recording an outcome. Closed, that does not matter: a closed
 * circuit counts no permits, so a permit granted while closed and ended with no outcome records
 * nothing. A half-open circuit admits a fixed number of trials at a time, and a trial that never
 * records an outcome keeps its place for good; once all places are so lost, the circuit stays
 * half-open forever, refusing every lease. So a trial that ends with no outcome records a failure,
 * as the conservative reading: the backend did not show it recovered. (With Failsafe's defaults
 * that opens the circuit again for another {@code delay}.) It does so only while the half-open
 * spell that granted it lasts; after the circuit has closed or opened, that spell's places are gone
 * with it. The permit says which spell: it is {@code generation << 1 | trial}. (A spell that ends
 * between that check and Failsafe's recording lets the failure count in the state that follows, as
 * any outcome arriving at that moment would: Failsafe records against whatever state is current.)
 *
 * <p>Implementation notes for maintainers. Failsafe's transition hooks ({@code onOpen} and the
 * like) can be set only when a breaker is built, and a user's breaker is built already; so changes
 * are found by looking: after each call that can change the state, {@link #observe()} compares
 * Failsafe's state with {@link #seen}, the last one seen, and the thread whose compare-and-set
 * records the new state tells the {@link Listener}, once per change seen. {@code seen} is one
 * {@code long}: bits 0–1 the state, bit 2 {@link #TRIALS_OUT}, the rest the generation, which every
 * change seen advances. Failsafe's state is read after {@code seen}, so a compare-and-set never
 * records a state older than the one it replaces, and the thread that made the last change finds
 * it; changes made in quick succession by other threads may be seen, and told, as one.
 *
 * <p>{@link #isAdmitting()} must not change the state, and Failsafe does not say how many trial
 * places are free; a refusal while half-open sets {@link #TRIALS_OUT} (if no change was seen around
 * it) and any outcome recorded while half-open clears it, because Failsafe frees a place then. Were
 * it set wrongly (a change missed), the next outcome clears it. Failsafe times the open circuit's
 * delay with {@link System#nanoTime()}, not the pool's {@link Ticker}; only the last failure's
 * time, for status reports, is read from the ticker.
 */
public final class FailsafeCircuitBreaker implements CircuitBreaker, MeasuredCircuitBreaker {
  private static final long STATE = 0b11L;
  private static final long TRIALS_OUT = 0b100L;
  private static final int GENERATION_SHIFT = 3;

  /** The low bit of a permit: granted as a half-open trial. */
  private static final long TRIAL_PERMIT = 1L;

  private static final VarHandle SEEN;

  static {
    try {
      SEEN = MethodHandles.lookup().findVarHandle(FailsafeCircuitBreaker.class, "seen", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final dev.failsafe.CircuitBreaker<?> failsafe;
  private final Ticker ticker;
  private final Listener listener;
  private volatile long seen;

  /** Written before {@link #hasFailed}; for status reports only. */
  private volatile long lastFailureNanos;

  private volatile boolean hasFailed;

  FailsafeCircuitBreaker(
      dev.failsafe.CircuitBreaker<?> failsafe, Ticker ticker, Listener listener) {
    this.failsafe = failsafe;
    this.ticker = ticker;
    this.listener = listener;
    this.seen = code(state(failsafe.getState()));
  }

  /** A breaker of Failsafe's, built with the policy's settings. */
  public static FailsafeCircuitBreaker of(
      CircuitBreakerPolicy.Failsafe policy, Ticker ticker, Listener listener) {
    return new FailsafeCircuitBreaker(build(policy), ticker, listener);
  }

  /** Failsafe's breaker with the policy's settings, through Failsafe's builder. */
  public static dev.failsafe.CircuitBreaker<Object> build(CircuitBreakerPolicy.Failsafe policy) {
    dev.failsafe.CircuitBreakerBuilder<Object> builder = dev.failsafe.CircuitBreaker.builder();
    if (policy.failureThresholdingPeriod().isZero()) {
      builder.withFailureThreshold(policy.failureThreshold(), policy.failureThresholdingCapacity());
    } else {
      builder.withFailureThreshold(
          policy.failureThreshold(),
          policy.failureThresholdingCapacity(),
          policy.failureThresholdingPeriod());
    }
    if (policy.successThreshold() > 0) {
      builder.withSuccessThreshold(policy.successThreshold(), policy.successThresholdingCapacity());
    }
    return builder.withDelay(policy.delay()).build();
  }

  /** A factory of adapters over the breakers {@code perBackend} makes, one per backend. */
  public static CircuitBreaker.Factory factory(
      Function<? super Backend, ? extends dev.failsafe.CircuitBreaker<?>> perBackend) {
    Objects.requireNonNull(perBackend, "perBackend");
    return new Factory() {
      @Override
      public CircuitBreaker create(Backend backend, Ticker ticker) {
        return create(backend, ticker, Listener.NONE);
      }

      @Override
      public CircuitBreaker create(Backend backend, Ticker ticker, Listener listener) {
        dev.failsafe.CircuitBreaker<?> failsafe =
            Objects.requireNonNull(
                perBackend.apply(backend),
                () -> "the Failsafe breaker factory returned null for " + backend.addr());
        return new FailsafeCircuitBreaker(failsafe, ticker, listener);
      }
    };
  }

  @Override
  public boolean isAdmitting() {
    dev.failsafe.CircuitBreaker.State state = failsafe.getState();
    if (state == dev.failsafe.CircuitBreaker.State.CLOSED) {
      return true;
    }
    if (state == dev.failsafe.CircuitBreaker.State.OPEN) {
      return failsafe.getRemainingDelay().isZero();
    }
    long w = seen;
    return stateOf(w) != State.HALF_OPEN || (w & TRIALS_OUT) == 0;
  }

  @Override
  public long tryAcquirePermit() {
    long before = seen;
    boolean granted = failsafe.tryAcquirePermit();
    long w = observe();
    if (granted) {
      return generation(w) << 1 | (stateOf(w) == State.HALF_OPEN ? TRIAL_PERMIT : 0);
    }
    if (w == before && stateOf(w) == State.HALF_OPEN) {
      SEEN.compareAndSet(this, w, w | TRIALS_OUT);
    }
    return REFUSED;
  }

  @Override
  public void onSuccess(long permit) {
    failsafe.recordSuccess();
    outcomeRecorded();
  }

  @Override
  public void onFailure(long permit, Throwable cause) {
    lastFailureNanos = ticker.read();
    hasFailed = true;
    failsafe.recordException(cause);
    outcomeRecorded();
  }

  @Override
  public void onNoOutcome(long permit) {
    if ((permit & TRIAL_PERMIT) == 0) {
      return; // granted closed: Failsafe holds nothing for it
    }
    long w = seen;
    if (stateOf(w) != State.HALF_OPEN || generation(w) != permit >>> 1) {
      return; // the half-open spell that granted it is over, and its trial places with it
    }
    failsafe.recordFailure();
    outcomeRecorded();
  }

  /**
   * Failsafe's counts in the state it is in: the closed circuit's window (its thresholding period,
   * or its last {@code capacity} calls), or a half-open circuit's trials. Failsafe has no slow
   * calls.
   */
  @Override
  public CallStats callStats() {
    long calls = failsafe.getExecutionCount();
    long failures = Math.min(failsafe.getFailureCount(), calls);
    Duration period = failsafe.getConfig().getFailureThresholdingPeriod();
    return new CallStats(
        period == null || period.isZero() ? null : period,
        calls,
        failures,
        MeasuredCircuitBreaker.percent(failures, calls),
        0,
        0);
  }

  @Override
  public Snapshot snapshot() {
    dev.failsafe.CircuitBreaker.State state = failsafe.getState();
    int failures = (int) Math.min(failsafe.getFailureCount(), Integer.MAX_VALUE);
    OptionalLong lastFailure = hasFailed ? OptionalLong.of(lastFailureNanos) : OptionalLong.empty();
    if (state == dev.failsafe.CircuitBreaker.State.OPEN) {
      // Failsafe half-opens on the next permit asked for: until then the circuit is open, as the
      // listener hears it, also once its delay is over and a trial may go through.
      long remaining = failsafe.getRemainingDelay().toNanos();
      return new Snapshot(State.OPEN, failures, lastFailure, Math.max(0, remaining));
    }
    return new Snapshot(state(state), failures, lastFailure, 0);
  }

  /** After an outcome: a change it made is told; if none, a half-open trial place is free again. */
  private void outcomeRecorded() {
    long w = observe();
    if ((w & TRIALS_OUT) != 0) {
      SEEN.compareAndSet(this, w, w & ~TRIALS_OUT);
    }
  }

  /**
   * Brings {@link #seen} up to Failsafe's state, telling the listener of each change this thread
   * records, and returns it.
   */
  private long observe() {
    while (true) {
      long w = seen;
      State now = state(failsafe.getState());
      State was = stateOf(w);
      if (now == was) {
        return w;
      }
      long next = (generation(w) + 1) << GENERATION_SHIFT | code(now);
      if (SEEN.compareAndSet(this, w, next)) {
        listener.onStateChange(was, now);
      }
    }
  }

  private static State state(dev.failsafe.CircuitBreaker.State state) {
    return switch (state) {
      case CLOSED -> State.CLOSED;
      case OPEN -> State.OPEN;
      case HALF_OPEN -> State.HALF_OPEN;
    };
  }

  /** A state's bits in {@link #seen}. */
  private static long code(State state) {
    return switch (state) {
      case CLOSED -> 0;
      case OPEN -> 1;
      case HALF_OPEN -> 2;
    };
  }

  private static State stateOf(long w) {
    long code = w & STATE;
    return code == 0 ? State.CLOSED : code == 1 ? State.OPEN : State.HALF_OPEN;
  }

  private static long generation(long w) {
    return w >>> GENERATION_SHIFT;
  }
}
