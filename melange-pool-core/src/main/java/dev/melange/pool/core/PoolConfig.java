package dev.melange.pool.core;

import dev.melange.pool.Ticker;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.HealthProbe;
import dev.melange.pool.spi.LoadBalancer;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything a pool is built from: the settings (from YAML or the builder) and what only code can
 * give (a ticker, custom strategies, circuit breakers and probes).
 *
 * @param customStrategy the builder's own strategy, or null for {@code settings.strategy()}
 * @param customBreakers the builder's own circuit breakers, or null for the default breaker with
 *     the settings' threshold and timeout
 * @param probes the builder's own probe factories, by type
 */
record PoolConfig(
    PoolSettings settings,
    Ticker ticker,
    @Nullable LoadBalancer customStrategy,
    CircuitBreaker.@Nullable Factory customBreakers,
    Map<String, HealthProbe.Factory> probes) {

  PoolConfig {
    probes = Map.copyOf(probes);
  }

  LoadBalancer balancer() {
    return customStrategy != null ? customStrategy : Strategies.create(settings.strategy());
  }

  CircuitBreaker.Factory breakers() {
    return customBreakers != null
        ? customBreakers
        : ConsecutiveFailuresCircuitBreaker.factory(
            settings.failureThreshold(), settings.recoveryTimeout());
  }
}
