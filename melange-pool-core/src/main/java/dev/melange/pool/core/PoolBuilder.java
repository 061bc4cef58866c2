package dev.melange.pool.core;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.DuplicateBackendException;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.PoolException;
import dev.melange.pool.RateLimit;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.config.HealthCheckReader;
import dev.melange.pool.core.config.KeySuggestion;
import dev.melange.pool.core.config.OptionalDependency;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.ResilienceSettings;
import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.core.config.YamlValueReader;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.HealthProbe;
import dev.melange.pool.spi.LoadBalancer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@link BackendPool.Builder}: validates each setting as it is given, names the bad value. The
 * settings for one backend are kept by the canonical form of the address they are given for ({@link
 * AddressKeys}), the form its {@link Backend} holds, so that either spelling finds it.
 */
final class PoolBuilder implements BackendPool.Builder, PoolConfig.Source {
  private final List<Backend> backends = new ArrayList<>();
  private int defaultMaxJobs = PoolSettings.DEFAULT_MAX_JOBS;
  private int failureThreshold = PoolSettings.DEFAULT_FAILURE_THRESHOLD;
  private Duration recoveryTimeout = PoolSettings.DEFAULT_RECOVERY_TIMEOUT;
  private Duration acquireTimeout = PoolSettings.DEFAULT_ACQUIRE_TIMEOUT;
  private Duration priorityAging = PoolSettings.DEFAULT_PRIORITY_AGING;
  private StrategySettings strategy = StrategySettings.DEFAULT;
  private @Nullable LoadBalancer customStrategy;
  private double affinityLoadFactor = PoolSettings.DEFAULT_AFFINITY_LOAD_FACTOR;
  private Duration slowStart = Duration.ZERO;
  private boolean failOpen = true;
  private Ticker ticker = Ticker.system();
  private CircuitBreaker.@Nullable Factory breakers;
  private @Nullable CircuitBreakerPolicy circuitBreaker;
  private final Map<String, CircuitBreakerPolicy> circuitBreakers = new LinkedHashMap<>();
  private @Nullable HealthCheck healthCheck;

  /** Per-backend checks by address; an empty optional turns the pool-wide check off. */
  private final Map<String, Optional<HealthCheck>> healthChecks = new LinkedHashMap<>();

  private @Nullable ResiliencePreset preset;
  private final Map<String, ResiliencePreset> presets = new LinkedHashMap<>();
  private @Nullable RateLimit rateLimit;
  private final Map<String, Optional<RateLimit>> rateLimits = new LinkedHashMap<>();
  private @Nullable AdaptiveLimit adaptiveLimit;
  private final Map<String, Optional<AdaptiveLimit>> adaptiveLimits = new LinkedHashMap<>();
  private ResilienceMode resilience = ResilienceMode.CONFIGURED;

  private final Map<String, HealthProbe.Factory> probes = new HashMap<>();
  private boolean watch;
  private @Nullable Path source;
  private @Nullable Object sourceStamp;

  /** Where the settings are in {@code source}, for problems found when the pool is built. */
  private Map<String, String> locations = Map.of();

  /** A builder preloaded with a whole configuration, as the YAML loader makes it. */
  static PoolBuilder from(PoolSettings settings) {
    PoolBuilder builder = new PoolBuilder();
    settings.backends().forEach(builder::backend);
    for (Backend backend : settings.backends()) {
      builder.healthChecks.put(
          backend.addr(), Optional.ofNullable(settings.healthChecks().get(backend.addr())));
    }
    builder.strategy = settings.strategy();
    builder.circuitBreaker = settings.circuitBreaker();
    builder.circuitBreakers.putAll(settings.circuitBreakers());
    builder.healthCheck = settings.healthCheck();
    ResilienceSettings resilience = settings.resilience();
    builder.preset = resilience.preset();
    builder.presets.putAll(resilience.presets());
    builder.rateLimit = resilience.rateLimit();
    builder.rateLimits.putAll(resilience.rateLimits());
    builder.adaptiveLimit = resilience.adaptiveLimit();
    builder.adaptiveLimits.putAll(resilience.adaptiveLimits());
    builder.resilience = resilience.mode();
    builder.watch = settings.watch();
    builder.source = settings.source();
    builder.sourceStamp = settings.sourceStamp();
    builder.locations = settings.locations();
    return builder
        .defaultMaxJobs(settings.defaultMaxJobs())
        .failureThreshold(settings.failureThreshold())
        .recoveryTimeout(settings.recoveryTimeout())
        .acquireTimeout(settings.acquireTimeout())
        .priorityAging(settings.priorityAging())
        .affinityLoadFactor(settings.affinityLoadFactor())
        .slowStart(settings.slowStart())
        .failOpen(settings.failOpen());
  }

  @Override
  public PoolBuilder backend(Backend backend) {
    backends.add(Objects.requireNonNull(backend, "backend"));
    return this;
  }

  @Override
  public PoolBuilder defaultMaxJobs(int n) {
    requireArgument(n >= 1, "defaultMaxJobs must be >= 1, was " + n);
    requireArgument(
        n <= Backend.MAX_JOBS_LIMIT,
        "defaultMaxJobs must be <= " + Backend.MAX_JOBS_LIMIT + ", was " + n);
    defaultMaxJobs = n;
    return this;
  }

  @Override
  public PoolBuilder failureThreshold(int n) {
    requireArgument(n >= 1, "failureThreshold must be >= 1, was " + n);
    failureThreshold = n;
    return this;
  }

  @Override
  public PoolBuilder recoveryTimeout(Duration d) {
    requireArgument(!d.isNegative(), "recoveryTimeout must be >= 0, was " + GoDuration.format(d));
    recoveryTimeout = d;
    return this;
  }

  @Override
  public PoolBuilder acquireTimeout(Duration d) {
    requireArgument(!d.isNegative(), "acquireTimeout must be >= 0, was " + GoDuration.format(d));
    acquireTimeout = d;
    return this;
  }

  @Override
  public PoolBuilder priorityAging(Duration d) {
    Objects.requireNonNull(d, "priorityAging");
    requireArgument(
        !d.isNegative() && !d.isZero(), "priorityAging must be > 0, was " + GoDuration.format(d));
    priorityAging = d;
    return this;
  }

  @Override
  public PoolBuilder strategy(String name) {
    Objects.requireNonNull(name, "name");
    requireArgument(
        StrategySettings.NAMES.contains(name),
        "unknown strategy \"" + name + "\", " + KeySuggestion.of(name, StrategySettings.NAMES));
    strategy = StrategySettings.of(name);
    customStrategy = null;
    return this;
  }

  @Override
  public PoolBuilder strategy(LoadBalancer strategy) {
    customStrategy = Objects.requireNonNull(strategy, "strategy");
    return this;
  }

  @Override
  public PoolBuilder affinityLoadFactor(double loadFactor) {
    requireArgument(
        loadFactor >= 1 && !Double.isInfinite(loadFactor),
        "affinityLoadFactor must be >= 1 and finite, was " + loadFactor);
    affinityLoadFactor = loadFactor;
    return this;
  }

  @Override
  public PoolBuilder slowStart(Duration d) {
    requireArgument(!d.isNegative(), "slowStart must be >= 0, was " + GoDuration.format(d));
    requireArgument(
        d.compareTo(PoolSettings.MAX_SLOW_START) <= 0,
        "slowStart must be <= "
            + GoDuration.format(PoolSettings.MAX_SLOW_START)
            + ", was "
            + GoDuration.format(d));
    slowStart = d;
    return this;
  }

  @Override
  public PoolBuilder failOpen(boolean failOpen) {
    this.failOpen = failOpen;
    return this;
  }

  @Override
  public PoolBuilder healthCheck(@Nullable HealthCheck check) {
    healthCheck = check;
    return this;
  }

  @Override
  public PoolBuilder healthCheck(String addr, @Nullable HealthCheck check) {
    healthChecks.put(
        AddressKeys.of(Objects.requireNonNull(addr, "addr")), Optional.ofNullable(check));
    return this;
  }

  @Override
  public PoolBuilder healthProbe(HealthProbe.Factory factory) {
    Objects.requireNonNull(factory, "factory");
    String type = Objects.requireNonNull(factory.type(), "factory.type()");
    requireArgument(!type.isBlank(), "a probe factory's type must not be blank");
    probes.put(type, factory);
    return this;
  }

  @Override
  public PoolBuilder ticker(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    return this;
  }

  @Override
  public PoolBuilder circuitBreaker(CircuitBreaker.Factory factory) {
    this.breakers = Objects.requireNonNull(factory, "factory");
    this.circuitBreaker = null;
    return this;
  }

  @Override
  public PoolBuilder circuitBreaker(CircuitBreakerPolicy policy) {
    this.circuitBreaker = available(Objects.requireNonNull(policy, "policy"));
    this.breakers = null;
    return this;
  }

  @Override
  public PoolBuilder circuitBreaker(String addr, CircuitBreakerPolicy policy) {
    circuitBreakers.put(
        AddressKeys.of(Objects.requireNonNull(addr, "addr")),
        available(Objects.requireNonNull(policy, "policy")));
    return this;
  }

  /**
   * The policy, if what it needs is on the class path.
   *
   * @throws IllegalStateException for a Failsafe policy without Failsafe, naming the artifact
   */
  private static CircuitBreakerPolicy available(CircuitBreakerPolicy policy) {
    if (policy instanceof CircuitBreakerPolicy.Failsafe
        && !OptionalDependency.FAILSAFE.isPresent()) {
      throw new IllegalStateException(
          OptionalDependency.FAILSAFE.missing("CircuitBreakerPolicy.Failsafe"));
    }
    return policy;
  }

  @Override
  public PoolBuilder rateLimit(@Nullable RateLimit limit) {
    rateLimit = limit;
    return this;
  }

  @Override
  public PoolBuilder rateLimit(String addr, @Nullable RateLimit limit) {
    rateLimits.put(
        AddressKeys.of(Objects.requireNonNull(addr, "addr")), Optional.ofNullable(limit));
    return this;
  }

  @Override
  public PoolBuilder adaptiveLimit(@Nullable AdaptiveLimit limit) {
    adaptiveLimit = limit;
    return this;
  }

  @Override
  public PoolBuilder adaptiveLimit(String addr, @Nullable AdaptiveLimit limit) {
    adaptiveLimits.put(
        AddressKeys.of(Objects.requireNonNull(addr, "addr")), Optional.ofNullable(limit));
    return this;
  }

  @Override
  public PoolBuilder policy(@Nullable ResiliencePreset preset) {
    this.preset = preset;
    return this;
  }

  @Override
  public PoolBuilder policy(String addr, ResiliencePreset preset) {
    presets.put(
        AddressKeys.of(Objects.requireNonNull(addr, "addr")),
        Objects.requireNonNull(preset, "preset"));
    return this;
  }

  @Override
  public PoolBuilder resilience(ResilienceMode mode) {
    resilience = Objects.requireNonNull(mode, "mode");
    return this;
  }

  @Override
  public BackendPool build() {
    return new LocalBackendPool(config());
  }

  /**
   * The configuration held, checked as a whole: backends, their addresses, and each health check's
   * backend and probe type.
   *
   * @throws PoolException when there is no backend
   * @throws DuplicateBackendException when two backends share an address
   * @throws IllegalArgumentException for a health check of an unknown backend or probe type
   */
  @Override
  public PoolConfig config() {
    if (backends.isEmpty()) {
      throw new PoolException("at least one backend is required");
    }
    Set<String> addrs = new HashSet<>();
    for (Backend backend : backends) {
      if (!addrs.add(backend.addr())) {
        throw new DuplicateBackendException(backend.addr());
      }
    }
    requireKnown("healthCheck", healthChecks.keySet(), addrs);
    requireKnown("circuitBreaker", circuitBreakers.keySet(), addrs);
    requireKnown("rateLimit", rateLimits.keySet(), addrs);
    requireKnown("adaptiveLimit", adaptiveLimits.keySet(), addrs);
    requireKnown("policy", presets.keySet(), addrs);
    requireArgument(
        breakers == null || presets.isEmpty(),
        "policy presets for single backends ("
            + shown(presets.keySet())
            + ") cannot be combined with a custom CircuitBreaker.Factory");
    requireArgument(
        breakers == null || circuitBreakers.isEmpty(),
        "circuitBreaker policies for single backends ("
            + shown(circuitBreakers.keySet())
            + ") cannot be combined with a custom CircuitBreaker.Factory");
    Map<String, HealthCheck> checks = new HashMap<>();
    for (Backend backend : backends) {
      Optional<HealthCheck> own = healthChecks.get(backend.addr());
      HealthCheck check = own != null ? own.orElse(null) : healthCheck;
      if (check == null) {
        continue;
      }
      if (HealthService.factory(check.type(), probes) == null) {
        List<String> known = new ArrayList<>(HealthService.knownTypes());
        known.addAll(probes.keySet());
        throw new IllegalArgumentException(
            HealthCheckReader.unknownType(check.type(), known, " for " + backend.addr()));
      }
      checks.put(backend.addr(), check);
    }
    PoolSettings settings =
        PoolSettings.builder()
            .backends(backends)
            .defaultMaxJobs(defaultMaxJobs)
            .failureThreshold(failureThreshold)
            .recoveryTimeout(recoveryTimeout)
            .acquireTimeout(acquireTimeout)
            .strategy(strategy)
            .affinityLoadFactor(affinityLoadFactor)
            .slowStart(slowStart)
            .failOpen(failOpen)
            .circuitBreaker(circuitBreaker)
            .circuitBreakers(circuitBreakers)
            .healthCheck(healthCheck)
            .healthChecks(checks)
            .resilience(
                new ResilienceSettings(
                    resilience,
                    preset,
                    presets,
                    rateLimit,
                    rateLimits,
                    adaptiveLimit,
                    adaptiveLimits))
            .watch(watch)
            .source(source)
            .sourceStamp(sourceStamp)
            .locations(locations)
            .priorityAging(priorityAging)
            .build();
    return new PoolConfig(settings.withEnvironment(), ticker, customStrategy, breakers, probes);
  }

  private static void requireKnown(String setting, Set<String> given, Set<String> addrs) {
    for (String addr : given) {
      requireArgument(
          addrs.contains(addr),
          setting
              + " is given for "
              + YamlValueReader.shown(addr, Backend.MAX_ADDR_LENGTH)
              + ", which is not a backend");
    }
  }

  /** Addresses for a message, each escaped (one may be no address at all). */
  private static String shown(Set<String> addrs) {
    List<String> shown = new ArrayList<>(addrs.size());
    addrs.forEach(addr -> shown.add(YamlValueReader.shown(addr, Backend.MAX_ADDR_LENGTH)));
    return String.join(", ", shown);
  }

  private static void requireArgument(boolean valid, String message) {
    if (!valid) {
      throw new IllegalArgumentException(message);
    }
  }
}
