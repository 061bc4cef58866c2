/**
 * What extenders implement: the {@link dev.melange.pool.spi.PoolProvider} that {@link
 * dev.melange.pool.BackendPool} loads, and the {@link dev.melange.pool.spi.CircuitBreaker} that
 * guards each backend.
 */
@NullMarked
package dev.melange.pool.spi;

import org.jspecify.annotations.NullMarked;
