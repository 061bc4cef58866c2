package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Ticker;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.LoadBalancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** {@link BackendPool.Builder}: validates each setting as it is given, names the bad value. */
final class PoolBuilder implements BackendPool.Builder {
  private final List<Backend> backends = new ArrayList<>();
  private int defaultMaxJobs = PoolSettings.DEFAULT_MAX_JOBS;
  private int failureThreshold = PoolSettings.DEFAULT_FAILURE_THRESHOLD;
  private Duration recoveryTimeout = PoolSettings.DEFAULT_RECOVERY_TIMEOUT;
  private Duration acquireTimeout = PoolSettings.DEFAULT_ACQUIRE_TIMEOUT;
  private StrategySettings strategy = StrategySettings.DEFAULT;
  private @Nullable LoadBalancer customStrategy;
  private double affinityLoadFactor = PoolSettings.DEFAULT_AFFINITY_LOAD_FACTOR;
  private Duration slowStart = Duration.ZERO;
  private boolean failOpen = true;
  private Ticker ticker = Ticker.system();
  private CircuitBreaker.@Nullable Factory breakers;

  /** A builder preloaded with a whole configuration, as the YAML loader makes it. */
  static PoolBuilder from(PoolSettings settings) {
    PoolBuilder builder = new PoolBuilder();
    settings.backends().forEach(builder::backend);
    builder.strategy = settings.strategy();
    return builder
        .defaultMaxJobs(settings.defaultMaxJobs())
        .failureThreshold(settings.failureThreshold())
        .recoveryTimeout(settings.recoveryTimeout())
        .acquireTimeout(settings.acquireTimeout())
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
  public PoolBuilder ticker(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    return this;
  }

  @Override
  public PoolBuilder circuitBreaker(CircuitBreaker.Factory factory) {
    this.breakers = Objects.requireNonNull(factory, "factory");
    return this;
  }

  @Override
  public BackendPool build() {
    CircuitBreaker.Factory factory =
        breakers != null
            ? breakers
            : ConsecutiveFailuresCircuitBreaker.factory(failureThreshold, recoveryTimeout);
    PoolSettings settings =
        new PoolSettings(
            backends,
            defaultMaxJobs,
            failureThreshold,
            recoveryTimeout,
            acquireTimeout,
            strategy,
            affinityLoadFactor,
            slowStart,
            failOpen);
    LoadBalancer balancer = customStrategy != null ? customStrategy : Strategies.create(strategy);
    return new LocalBackendPool(settings, ticker, factory, balancer);
  }

  private static void requireArgument(boolean valid, String message) {
    if (!valid) {
      throw new IllegalArgumentException(message);
    }
  }
}
