/**
 * The built-in circuit breakers: consecutive failures (melange-server's), failure rate, Failsafe's
 * (an optional dependency), and none. Each keeps its state in one word changed by compare-and-set
 * and allocates nothing on the acquire/release path. Knows nothing of pools or slots: a breaker
 * reports to its {@link dev.melange.pool.spi.CircuitBreaker.Listener}. Not exported; public only
 * for core's other packages and the exported Failsafe adapter.
 */
@NullMarked
package dev.melange.pool.core.breaker;

import org.jspecify.annotations.NullMarked;
