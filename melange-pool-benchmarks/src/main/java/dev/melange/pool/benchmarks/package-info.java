/**
 * JMH benchmarks of melange-pool's acquire/release path, side by side with the physical floor and
 * with what a Java team would build instead, plus the footprint report and the chart renderer for
 * {@code RESULTS.md}.
 */
@NullMarked
package dev.melange.pool.benchmarks;

import org.jspecify.annotations.NullMarked;
