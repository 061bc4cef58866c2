package dev.melange.pool.core.breaker;

import dev.melange.pool.spi.CircuitBreaker;
import java.util.OptionalLong;

/**
 * What {@code resilience: disabled} gives every backend: a circuit that never opens, whatever the
 * outcomes. Stateless, so one serves every backend.
 */
public final class DisabledCircuitBreaker implements CircuitBreaker {
  static final DisabledCircuitBreaker INSTANCE = new DisabledCircuitBreaker();

  public static final CircuitBreaker.Factory FACTORY = (backend, ticker) -> INSTANCE;

  private static final Snapshot CLOSED = new Snapshot(State.CLOSED, 0, OptionalLong.empty(), 0);

  private DisabledCircuitBreaker() {}

  @Override
  public boolean isAdmitting() {
    return true;
  }

  @Override
  public long tryAcquirePermit() {
    return 0;
  }

  @Override
  public void onSuccess(long permit) {}

  @Override
  public void onFailure(long permit, Throwable cause) {}

  @Override
  public void onNoOutcome(long permit) {}

  @Override
  public Snapshot snapshot() {
    return CLOSED;
  }

  @Override
  public String toString() {
    return "no circuit breaker (resilience: disabled)";
  }
}
