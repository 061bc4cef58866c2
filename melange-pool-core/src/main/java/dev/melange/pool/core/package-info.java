/**
 * The implementation behind the melange-pool API, hot part: the pool, its slots, topology,
 * strategies, leases and waiters, package-private (but for the provider that {@link
 * java.util.ServiceLoader} instantiates). Cold code that never reads a slot lives in sub-packages:
 * {@code config}, {@code breaker}, {@code health}, {@code time}. None of them is exported.
 */
@NullMarked
package dev.melange.pool.core;

import org.jspecify.annotations.NullMarked;
