package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.breaker.ConsecutiveFailuresCircuitBreaker;
import dev.melange.pool.core.breaker.DisabledCircuitBreaker;
import dev.melange.pool.core.breaker.FailsafeCircuitBreaker;
import dev.melange.pool.core.breaker.FailureRateCircuitBreaker;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.ResilienceSettings;
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
  /**
   * What a pool is configured from in code: a builder, as {@code BackendPool.builder()} makes it.
   */
  interface Source {
    /**
     * The configuration built so far.
     *
     * @throws RuntimeException when it is incomplete or contradicts itself, saying how
     */
    PoolConfig config();
  }

  PoolConfig {
    probes = Map.copyOf(probes);
  }

  LoadBalancer balancer() {
    return customStrategy != null ? customStrategy : Strategies.create(settings.strategy());
  }

  /**
   * The breakers: none under {@code resilience: disabled}; else the custom factory's, unless the
   * mode imposes a preset's; else each backend's policy's.
   */
  CircuitBreaker.Factory breakers() {
    ResilienceSettings resilience = settings.resilience();
    if (resilience.mode() == ResilienceMode.DISABLED) {
      return DisabledCircuitBreaker.FACTORY;
    }
    if (customBreakers != null && resilience.imposedBreaker() == null) {
      return customBreakers;
    }
    return new CircuitBreaker.Factory() {
      @Override
      public CircuitBreaker create(Backend backend, Ticker ticker) {
        return create(backend, ticker, CircuitBreaker.Listener.NONE);
      }

      @Override
      public CircuitBreaker create(
          Backend backend, Ticker ticker, CircuitBreaker.Listener listener) {
        return PoolConfig.create(settings.circuitBreakerOf(backend.addr()), ticker, listener);
      }
    };
  }

  /** A breaker of one policy. */
  static CircuitBreaker create(
      CircuitBreakerPolicy policy, Ticker ticker, CircuitBreaker.Listener listener) {
    if (policy instanceof CircuitBreakerPolicy.FailureRate rate) {
      return new FailureRateCircuitBreaker(ticker, rate, listener);
    }
    if (policy instanceof CircuitBreakerPolicy.Failsafe failsafe) {
      return FailsafeCircuitBreaker.of(failsafe, ticker, listener);
    }
    CircuitBreakerPolicy.Consecutive consecutive = (CircuitBreakerPolicy.Consecutive) policy;
    return new ConsecutiveFailuresCircuitBreaker(
        ticker, consecutive.failures(), consecutive.waitInOpen(), listener);
  }
}
