/**
 * What users of melange-pool touch: {@link dev.melange.pool.BackendPool}, {@link
 * dev.melange.pool.Backend}, {@link dev.melange.pool.Selector}, {@link dev.melange.pool.Lease},
 * {@link dev.melange.pool.BackendStatus} and the exceptions rooted in {@link
 * dev.melange.pool.PoolException}.
 */
@NullMarked
package dev.melange.pool;

import org.jspecify.annotations.NullMarked;
