package dev.melange.pool.core;

import dev.melange.pool.spi.CircuitBreaker;
import java.util.OptionalLong;

/**
 * A circuit breaker whose admission a test scripts; it ignores outcomes and reports a fixed state.
 * Subclass it to script more (a breaker that throws, or runs a hook inside a call).
 */
class ScriptedCircuitBreaker implements CircuitBreaker {
  private final boolean admitting;
  private final long permit;
  private final State reported;

  ScriptedCircuitBreaker(boolean admitting, long permit, State reported) {
    this.admitting = admitting;
    this.permit = permit;
    this.reported = reported;
  }

  /** Admits every lease. */
  static ScriptedCircuitBreaker neverOpens() {
    return new ScriptedCircuitBreaker(true, 0, State.CLOSED);
  }

  /** Claims to admit while scanning, then refuses every permit: a breaker racing a transition. */
  static ScriptedCircuitBreaker admitsThenRefuses() {
    return new ScriptedCircuitBreaker(true, REFUSED, State.CLOSED);
  }

  /** Refuses everything and says it is open. */
  static ScriptedCircuitBreaker alwaysOpen() {
    return new ScriptedCircuitBreaker(false, REFUSED, State.OPEN);
  }

  @Override
  public boolean isAdmitting() {
    return admitting;
  }

  @Override
  public long tryAcquirePermit() {
    return permit;
  }

  @Override
  public void onSuccess(long permit) {}

  @Override
  public void onFailure(long permit, Throwable cause) {}

  @Override
  public void onNoOutcome(long permit) {}

  @Override
  public Snapshot snapshot() {
    return new Snapshot(reported, 0, OptionalLong.empty(), 0);
  }
}
