package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.spi.CircuitBreaker;
import java.util.function.Function;

/**
 * Not API: lets {@link dev.melange.pool.failsafe.FailsafeCircuitBreakers} make the package-private
 * {@link FailsafeCircuitBreaker}. Public only to cross the package line; this package is not
 * exported, so no other module can see it.
 */
public final class FailsafeBridge {
  private FailsafeBridge() {}

  /**
   * See {@link dev.melange.pool.failsafe.FailsafeCircuitBreakers#factory}.
   *
   * @throws NullPointerException if {@code perBackend} is null
   */
  public static CircuitBreaker.Factory factory(
      Function<? super Backend, ? extends dev.failsafe.CircuitBreaker<?>> perBackend) {
    return FailsafeCircuitBreaker.factory(perBackend);
  }
}
