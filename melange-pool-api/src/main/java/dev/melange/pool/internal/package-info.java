/**
 * Helpers the API shares with melange-pool's own modules (core, buildkit): not part of the API, and
 * exported to those modules only.
 */
@NullMarked
package dev.melange.pool.internal;

import org.jspecify.annotations.NullMarked;
