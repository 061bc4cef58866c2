/**
 * Health checking: one monitor per physical backend and check ({@link
 * dev.melange.pool.core.health.HealthService}), its health model (consecutive or windowed
 * thresholds), and the built-in tcp and http probes. Knows nothing of pools or slots: a pool
 * subscribes to a monitor and is told of changes. Not exported; public only for core's other
 * packages.
 */
@NullMarked
package dev.melange.pool.core.health;

import org.jspecify.annotations.NullMarked;
