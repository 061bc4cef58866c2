package dev.melange.pool.spi;

import dev.melange.pool.Backend;
import dev.melange.pool.Ticker;
import java.util.OptionalLong;

/**
 * Decides, from the outcomes of earlier leases, whether one backend may take a new lease. The pool
 * creates one per backend (per incarnation: a backend removed and added again gets a fresh one).
 *
 * <p>Every method is called on the acquire/release path, concurrently from any thread:
 * implementations must be thread-safe, must not block, should not allocate in the common case, and
 * must not throw.
 *
 * <p>A lease's life, as the breaker sees it: {@link #isAdmitting()} while the pool scans
 * candidates; {@link #tryAcquirePermit()} once a slot is reserved; then exactly one of {@link
 * #onSuccess}, {@link #onFailure} and {@link #onNoOutcome} with the permit it returned. The permit
 * is an opaque token the breaker chooses (for example, the generation of the circuit state it was
 * granted in, so that outcomes of leases granted before a state change can be told apart).
 */
public interface CircuitBreaker {

  /** What {@link #tryAcquirePermit()} returns to refuse. Permits are never negative. */
  long REFUSED = -1L;

  /**
   * Whether {@link #tryAcquirePermit()} would likely grant a permit now. A hint for scanning many
   * candidates cheaply: it must not change state (it must not, say, take a half-open trial).
   */
  boolean isAdmitting();

  /**
   * Asks for a permit for one lease.
   *
   * @return a non-negative permit, or {@link #REFUSED}
   */
  long tryAcquirePermit();

  /**
   * The lease granted with this permit succeeded.
   *
   * @param permit what {@link #tryAcquirePermit()} returned for it
   */
  void onSuccess(long permit);

  /**
   * The lease granted with this permit failed.
   *
   * @param permit what {@link #tryAcquirePermit()} returned for it
   * @param cause what went wrong, as the user reported it
   */
  void onFailure(long permit, Throwable cause);

  /**
   * The lease granted with this permit ended with no outcome, or the permit was not used (the pool
   * could not reserve the slot after all).
   *
   * @param permit what {@link #tryAcquirePermit()} returned
   */
  void onNoOutcome(long permit);

  /** A consistent view of the breaker's state, for status reports and for timing retries. */
  Snapshot snapshot();

  /** The states of a circuit. */
  enum State {
    /** Leases flow. */
    CLOSED,
    /**
     * Leases are refused until the recovery timeout elapses; then until a trial lease is taken
     * ({@link Snapshot#nanosUntilRetry()} 0 meanwhile).
     */
    OPEN,
    /**
     * Trial leases probe whether the backend recovered: from the first trial taken (when the
     * listener hears {@code OPEN -> HALF_OPEN}) until the circuit closes or opens again, also while
     * no trial is out (one ended with no outcome).
     */
    HALF_OPEN
  }

  /**
   * A point-in-time view of a breaker.
   *
   * @param state the circuit's state
   * @param failures consecutive failures counted
   * @param lastFailureNanos the {@link Ticker} reading of the last failure, if any
   * @param nanosUntilRetry how long until an open circuit lets a trial through; 0 unless open
   */
  record Snapshot(State state, int failures, OptionalLong lastFailureNanos, long nanosUntilRetry) {}

  /**
   * Told of each change of a breaker's state. The pool uses it to start a backend's slow-start ramp
   * when its circuit closes again.
   */
  @FunctionalInterface
  interface Listener {

    /** Ignores every change. */
    Listener NONE = (from, to) -> {};

    /**
     * The circuit went from one state to another. Called by the thread that made the change, once
     * per change; must be quick and must not throw. (The default breaker reports a half-open
     * circuit when its first trial is taken; a trial that ends with no outcome frees its place
     * without a change of state: the circuit stays half-open, and the next trial is not reported
     * again.)
     */
    void onStateChange(State from, State to);
  }

  /** Creates the breaker for one backend. */
  @FunctionalInterface
  interface Factory {

    /**
     * A new breaker, in its initial (closed) state.
     *
     * @param backend the backend it will guard
     * @param ticker the pool's time source; breakers should read no other clock
     */
    CircuitBreaker create(Backend backend, Ticker ticker);

    /**
     * A new breaker that reports its state changes to {@code listener}; the pool calls this one.
     * The default ignores the listener: a breaker made that way works, but the pool does not learn
     * when its circuit closes, so the backend does not slow-start after recovering.
     *
     * @param listener to call on each change of state
     */
    default CircuitBreaker create(Backend backend, Ticker ticker, Listener listener) {
      return create(backend, ticker);
    }
  }
}
