package dev.melange.pool.core;

import dev.melange.pool.spi.CircuitBreaker;
import org.jspecify.annotations.Nullable;

/** Starts its slot's ramp when the slot's circuit closes again, and tells the pool's listeners. */
final class CircuitListener implements CircuitBreaker.Listener {
  private final PoolEvents events;

  /** Set right after the breaker is made; a breaker changes state only once leases flow. */
  volatile @Nullable Slot slot;

  CircuitListener(PoolEvents events) {
    this.events = events;
  }

  @Override
  public void onStateChange(CircuitBreaker.State from, CircuitBreaker.State to) {
    Slot target = slot;
    if (target == null) {
      return;
    }
    if (to == CircuitBreaker.State.CLOSED) {
      target.startRamp();
    }
    events.circuitChanged(target.backend.addr(), target.arch, to);
  }
}
