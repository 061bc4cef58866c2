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
    return applied.equals(resilience) ? this : toBuilder().resilience(applied).build();
  }

  /** These settings, as read from {@code file}, which was in state {@code stamp} before. */
  PoolSettings withSource(Path file, @Nullable Object stamp) {
    return toBuilder().source(file).sourceStamp(stamp).build();
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

  /** Settings with every default, to be filled in: the YAML loader's and the pool builder's. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from these settings. */
  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.backends = backends;
    builder.defaultMaxJobs = defaultMaxJobs;
    builder.failureThreshold = failureThreshold;
    builder.recoveryTimeout = recoveryTimeout;
    builder.acquireTimeout = acquireTimeout;
    builder.strategy = strategy;
    builder.affinityLoadFactor = affinityLoadFactor;
    builder.slowStart = slowStart;
    builder.failOpen = failOpen;
    builder.circuitBreaker = circuitBreaker;
    builder.circuitBreakers = circuitBreakers;
    builder.healthCheck = healthCheck;
    builder.healthChecks = healthChecks;
    builder.resilience = resilience;
    builder.watch = watch;
    builder.source = source;
    builder.sourceStamp = sourceStamp;
    builder.locations = locations;
    builder.priorityAging = priorityAging;
    return builder;
  }

  /**
   * Makes {@link PoolSettings}, one named setting at a time, each starting at its default (as
   * Failsafe's CircuitBreakerBuilder makes its config): no caller lists nineteen values in order.
   * It checks nothing; the YAML loader and the pool builder validate what they set.
   */
  public static final class Builder {
    private List<Backend> backends = List.of();
    private int defaultMaxJobs = DEFAULT_MAX_JOBS;
    private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
    private Duration recoveryTimeout = DEFAULT_RECOVERY_TIMEOUT;
    private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
    private StrategySettings strategy = StrategySettings.DEFAULT;
    private double affinityLoadFactor = DEFAULT_AFFINITY_LOAD_FACTOR;
    private Duration slowStart = Duration.ZERO;
    private boolean failOpen = true;
    private @Nullable CircuitBreakerPolicy circuitBreaker = null;
    private Map<String, CircuitBreakerPolicy> circuitBreakers = Map.of();
    private @Nullable HealthCheck healthCheck = null;
    private Map<String, HealthCheck> healthChecks = Map.of();
    private ResilienceSettings resilience = ResilienceSettings.NONE;
    private boolean watch = false;
    private @Nullable Path source = null;
    private @Nullable Object sourceStamp = null;
    private Map<String, String> locations = Map.of();
    private Duration priorityAging = DEFAULT_PRIORITY_AGING;

    private Builder() {}

    public Builder backends(List<Backend> backends) {
      this.backends = backends;
      return this;
    }

    public Builder defaultMaxJobs(int defaultMaxJobs) {
      this.defaultMaxJobs = defaultMaxJobs;
      return this;
    }

    public Builder failureThreshold(int failureThreshold) {
      this.failureThreshold = failureThreshold;
      return this;
    }

    public Builder recoveryTimeout(Duration recoveryTimeout) {
      this.recoveryTimeout = recoveryTimeout;
      return this;
    }

    public Builder acquireTimeout(Duration acquireTimeout) {
      this.acquireTimeout = acquireTimeout;
      return this;
    }

    public Builder strategy(StrategySettings strategy) {
      this.strategy = strategy;
      return this;
    }

    public Builder affinityLoadFactor(double affinityLoadFactor) {
      this.affinityLoadFactor = affinityLoadFactor;
      return this;
    }

    public Builder slowStart(Duration slowStart) {
      this.slowStart = slowStart;
      return this;
    }

    public Builder failOpen(boolean failOpen) {
      this.failOpen = failOpen;
      return this;
    }

    public Builder circuitBreaker(@Nullable CircuitBreakerPolicy circuitBreaker) {
      this.circuitBreaker = circuitBreaker;
      return this;
    }

    public Builder circuitBreakers(Map<String, CircuitBreakerPolicy> circuitBreakers) {
      this.circuitBreakers = circuitBreakers;
      return this;
    }

    public Builder healthCheck(@Nullable HealthCheck healthCheck) {
      this.healthCheck = healthCheck;
      return this;
    }

    public Builder healthChecks(Map<String, HealthCheck> healthChecks) {
      this.healthChecks = healthChecks;
      return this;
    }

    public Builder resilience(ResilienceSettings resilience) {
      this.resilience = resilience;
      return this;
    }

    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    public Builder source(@Nullable Path source) {
      this.source = source;
      return this;
    }

    public Builder sourceStamp(@Nullable Object sourceStamp) {
      this.sourceStamp = sourceStamp;
      return this;
    }

    public Builder locations(Map<String, String> locations) {
      this.locations = locations;
      return this;
    }

    public Builder priorityAging(Duration priorityAging) {
      this.priorityAging = priorityAging;
      return this;
    }

    public PoolSettings build() {
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
  }
}
