/**
 * Failsafe's circuit breaker for the pool: {@link
 * dev.melange.pool.failsafe.FailsafeCircuitBreakers} turns breakers built with Failsafe's own
 * builder into the pool's {@link dev.melange.pool.spi.CircuitBreaker.Factory}.
 */
@NullMarked
package dev.melange.pool.failsafe;

import org.jspecify.annotations.NullMarked;
