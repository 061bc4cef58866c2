package dev.melange.pool.core.config;

import dev.melange.pool.Backend;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.ResiliencePreset;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A whole pool configuration, validated, as the YAML loader and the builder produce it.
 *
 * @param backends the backends in configuration order, addresses distinct, at least one
 * @param defaultMaxJobs the limit of backends configured with {@code maxJobs} 0; at least 1
 * @param failureThreshold consecutive failures that open a circuit; at least 1
 * @param recoveryTimeout how long an open circuit waits before a trial; not negative
 * @param acquireTimeout how long {@code acquire} waits by default; not negative
 * @param strategy the built-in strategy and its settings
 * @param affinityLoadFactor the bound on an affinity key's home, relative to the average load; at
 *     least 1
 * @param slowStart how long a backend that becomes eligible ramps up; zero for no ramp, at most
 *     {@link #MAX_SLOW_START}
 * @param failOpen whether a request whose every candidate is unhealthy goes to them anyway
 * @param circuitBreaker the pool-wide breaker policy; null for the consecutive breaker of {@code
 *     failureThreshold} and {@code recoveryTimeout}
 * @param circuitBreakers each configured backend's own breaker policy, by address
 * @param healthCheck the pool-wide health check, for backends added later; null for none
 * @param healthChecks each configured backend's health check, by address (none for the others)
 * @param resilience presets, rate limits, adaptive limits and the resilience mode
 * @param watch whether the pool reloads {@code source} when it changes
 * @param source the file the settings came from, or null for settings made in code
 * @param sourceStamp the state of {@code source} just before it was read, for {@code watch} to tell
 *     a later change; null with no source
 * @param locations where each top-level key is in {@code source}, as {@code line:column}
 * @param priorityAging how long a waiter waits for each level its priority rises; positive
 */
public record PoolSettings(
    List<Backend> backends,
    int defaultMaxJobs,
    int failureThreshold,
    Duration recoveryTimeout,
    Duration acquireTimeout,
    StrategySettings strategy,
    double affinityLoadFactor,
    Duration slowStart,
    boolean failOpen,
    @Nullable CircuitBreakerPolicy circuitBreaker,
    Map<String, CircuitBreakerPolicy> circuitBreakers,
    @Nullable HealthCheck healthCheck,
    Map<String, HealthCheck> healthChecks,
    ResilienceSettings resilience,
    boolean watch,
    @Nullable Path source,
    @Nullable Object sourceStamp,
    Map<String, String> locations,
    Duration priorityAging) {

  public static final int DEFAULT_MAX_JOBS = 4;
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;
  public static final Duration DEFAULT_RECOVERY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);
  public static final double DEFAULT_AFFINITY_LOAD_FACTOR = 1.25;
  public static final Duration DEFAULT_PRIORITY_AGING = Duration.ofSeconds(10);

  /** Long enough for any real warm-up; keeps the ramp's arithmetic within a long. */
  public static final Duration MAX_SLOW_START = Duration.ofHours(1);

  public PoolSettings {
    backends = List.copyOf(backends);
    healthChecks = Map.copyOf(healthChecks);
    circuitBreakers = Map.copyOf(circuitBreakers);
    locations = Map.copyOf(locations);
  }

  /** These settings with the resilience mode the environment sets, if it sets one. */
  public PoolSettings withEnvironment() {
    ResilienceSettings applied = resilience.withEnvironment();
    return applied.equals(resilience) ? this : copy(applied, source, sourceStamp);
  }

  /** These settings, as read from {@code file}, which was in state {@code stamp} before. */
  PoolSettings withSource(Path file, @Nullable Object stamp) {
    return copy(resilience, file, stamp);
  }

  private PoolSettings copy(
      ResilienceSettings resilience, @Nullable Path source, @Nullable Object sourceStamp) {
    return new PoolSettings(
        backends,
        defaultMaxJobs,
        failureThreshold,
        recoveryTimeout,
        acquireTimeout,
        strategy,
        affinityLoadFactor,
        slowStart,
        failOpen,
        circuitBreaker,
        circuitBreakers,
        healthCheck,
        healthChecks,
        resilience,
        watch,
        source,
        sourceStamp,
        locations,
        priorityAging);
  }

  /**
   * The breaker policy of a backend: the one the resilience mode imposes; else its own; else its
   * own preset's; else the pool-wide one; else the pool-wide preset's; else the consecutive one.
   */
  public CircuitBreakerPolicy circuitBreakerOf(String addr) {
    CircuitBreakerPolicy imposed = resilience.imposedBreaker();
    if (imposed != null) {
      return imposed;
    }
    CircuitBreakerPolicy own = circuitBreakers.get(addr);
    if (own != null) {
      return own;
    }
    ResiliencePreset ownPreset = resilience.presets().get(addr);
    if (ownPreset != null) {
      return ownPreset.circuitBreaker();
    }
    if (circuitBreaker != null) {
      return circuitBreaker;
    }
    ResiliencePreset preset = resilience.preset();
    return preset != null
        ? preset.circuitBreaker()
        : new CircuitBreakerPolicy.Consecutive(failureThreshold, recoveryTimeout);
  }

  /** The health check of a configured backend, or null for none. */
  @Nullable
  public HealthCheck healthCheckOf(Backend backend) {
    return healthChecks.get(backend.addr());
  }

  /**
   * The health check of a backend added at run time: the one configured for its address, if any,
   * else the pool-wide one.
   */
  @Nullable
  public HealthCheck healthCheckOfAdded(Backend backend) {
    HealthCheck own = healthChecks.get(backend.addr());
    return own != null ? own : healthCheck;
  }
}
