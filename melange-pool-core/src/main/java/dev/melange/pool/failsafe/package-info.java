/**
 * Failsafe's circuit breaker for the pool: {@link
 * dev.melange.pool.failsafe.FailsafeCircuitBreakers} turns breakers built with Failsafe's own
 * builder into the pool's {@link dev.melange.pool.spi.CircuitBreaker.Factory}. Failsafe is an
 * optional dependency of melange-pool-core: code that uses this package adds {@code
 * dev.failsafe:failsafe} (and, as a module, {@code requires dev.failsafe.core}) itself.
 */
@NullMarked
package dev.melange.pool.failsafe;

import org.jspecify.annotations.NullMarked;
