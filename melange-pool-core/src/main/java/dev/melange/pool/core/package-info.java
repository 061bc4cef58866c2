/**
 * The implementation behind the melange-pool API. Nothing here is public API: classes are
 * package-private but for the provider that {@link java.util.ServiceLoader} instantiates and the
 * bridge that {@code dev.melange.pool.failsafe} reaches the Failsafe adapter through.
 */
@NullMarked
package dev.melange.pool.core;

import org.jspecify.annotations.NullMarked;
