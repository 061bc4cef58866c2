package dev.melange.pool.failsafe;

import dev.melange.pool.Backend;
import dev.melange.pool.core.breaker.FailsafeCircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker;
import java.util.function.Function;

/**
 * Circuit breakers of Failsafe's ({@link dev.failsafe.CircuitBreaker}, Failsafe 3.3.2) guarding the
 * pool's backends, for teams that standardised on Failsafe and configure it in code (handle
 * conditions, rate thresholds, listeners of their own). For Failsafe's thresholds and delay alone,
 * {@link dev.melange.pool.CircuitBreakerPolicy.Failsafe} does the same from YAML or the builder.
 *
 * <pre>{@code
 * BackendPool pool = BackendPool.builder()
 *     .backend(...)
 *     .circuitBreaker(FailsafeCircuitBreakers.factory(backend ->
 *         CircuitBreaker.builder()
 *             .withFailureThreshold(3)
 *             .withDelay(Duration.ofSeconds(10))
 *             .build()))
 *     .build();
 * }</pre>
 *
 * <p>Failsafe decides: a lease's success is recorded with {@code recordSuccess()}, its failure with
 * {@code recordException(cause)} (so the breaker's {@code handle} conditions judge it), and the
 * pool reports the breaker's state changes as its own events. Failsafe cannot take a permit back
 * without an outcome: a lease closed with no outcome records nothing if it was granted while the
 * circuit was closed, and records a failure if it was a half-open trial, since otherwise its place
 * among the trials would stay taken and the circuit could stay half-open for good. Failsafe times
 * its delay with {@link System#nanoTime()}, not with the pool's {@link dev.melange.pool.Ticker}.
 */
public final class FailsafeCircuitBreakers {
  private FailsafeCircuitBreakers() {}

  /**
   * A factory for {@link
   * dev.melange.pool.BackendPool.Builder#circuitBreaker(CircuitBreaker.Factory)} that guards each
   * backend with the breaker {@code perBackend} returns for it. The pool calls it once per backend
   * (and again for a backend removed and added back), and the breaker should be a new one each
   * time: a breaker shared by backends shares its state, so one backend's failures would open the
   * others' circuits. The pool calls the breaker itself; it should have no other users, or the pool
   * may miss its state changes.
   *
   * @param perBackend makes the backend's breaker; must not return null
   * @throws NullPointerException if {@code perBackend} is null (or, when the pool makes a breaker,
   *     returns null)
   */
  // Failsafe is optional for core (requires static): who calls this names Failsafe's types in its
  // own code, and so requires Failsafe itself.
  @SuppressWarnings("exports")
  public static CircuitBreaker.Factory factory(
      Function<? super Backend, ? extends dev.failsafe.CircuitBreaker<?>> perBackend) {
    return FailsafeCircuitBreaker.factory(perBackend);
  }
}
