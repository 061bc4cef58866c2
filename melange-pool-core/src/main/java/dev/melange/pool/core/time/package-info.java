/**
 * Durations as melange-pool reads, writes and counts them: Go's duration syntax ({@link
 * dev.melange.pool.core.time.GoDuration}) and nanosecond arithmetic. Depends on nothing else in
 * core, so every other package may use it.
 */
@NullMarked
package dev.melange.pool.core.time;

import org.jspecify.annotations.NullMarked;
