package dev.melange.pool.core.config;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.RateLimit;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.ResiliencePreset;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The resilience settings beyond the circuit breaker's own: presets, rate limits, adaptive limits
 * and the mode that overrides them, pool-wide and per backend.
 *
 * <p>Which applies to a backend, first match wins: the mode ({@code strict}, {@code relaxed},
 * {@code disabled}); the backend's own setting; its own preset; the pool-wide setting; the
 * pool-wide preset. (YAML merges a setting written next to a preset into the preset's key by key
 * before it gets here.)
 *
 * @param mode the switch over every backend, after the environment had its say
 * @param preset the pool-wide preset, or null
 * @param presets each configured backend's own preset, by address
 * @param rateLimit the pool-wide rate limit, or null
 * @param rateLimits each configured backend's own rate limit, by address; empty for none
 * @param adaptiveLimit the pool-wide adaptive limit, or null
 * @param adaptiveLimits each configured backend's own adaptive limit, by address; empty for none
 */
public record ResilienceSettings(
    ResilienceMode mode,
    @Nullable ResiliencePreset preset,
    Map<String, ResiliencePreset> presets,
    @Nullable RateLimit rateLimit,
    Map<String, Optional<RateLimit>> rateLimits,
    @Nullable AdaptiveLimit adaptiveLimit,
    Map<String, Optional<AdaptiveLimit>> adaptiveLimits) {

  static final ResilienceSettings NONE =
      new ResilienceSettings(
          ResilienceMode.CONFIGURED, null, Map.of(), null, Map.of(), null, Map.of());

  public ResilienceSettings {
    presets = Map.copyOf(presets);
    rateLimits = Map.copyOf(rateLimits);
    adaptiveLimits = Map.copyOf(adaptiveLimits);
  }

  /**
   * Where the environment is read; tests put a map here (and put it back). Only {@link
   * ResilienceMode#ENVIRONMENT_VARIABLE} is looked up.
   */
  public static volatile Function<String, @Nullable String> environment = System::getenv;

  /**
   * These settings with the mode {@code MELANGE_POOL_RESILIENCE} sets, when it is set (and not
   * blank): the environment wins over YAML and the builder.
   *
   * @throws IllegalArgumentException naming the variable, for a value that is no mode
   */
  ResilienceSettings withEnvironment() {
    String value = environment.apply(ResilienceMode.ENVIRONMENT_VARIABLE);
    if (value == null || value.isBlank()) {
      return this;
    }
    try {
      return withMode(ResilienceMode.of(value));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          ResilienceMode.ENVIRONMENT_VARIABLE + ": " + e.getMessage(), e);
    }
  }

  /** The same settings under another mode. */
  ResilienceSettings withMode(ResilienceMode next) {
    return new ResilienceSettings(
        next, preset, presets, rateLimit, rateLimits, adaptiveLimit, adaptiveLimits);
  }

  /** The rate limit of a backend, or null for none. */
  @Nullable
  public RateLimit rateLimitOf(String addr) {
    RateLimit imposed =
        switch (mode) {
          case DISABLED -> null;
          case STRICT -> ResiliencePreset.CRITICAL.rateLimit();
          case RELAXED -> ResiliencePreset.RELAXED.rateLimit();
          case CONFIGURED -> null;
        };
    if (mode != ResilienceMode.CONFIGURED) {
      return imposed;
    }
    Optional<RateLimit> own = rateLimits.get(addr);
    if (own != null) {
      return own.orElse(null);
    }
    ResiliencePreset ownPreset = presets.get(addr);
    if (ownPreset != null) {
      return ownPreset.rateLimit();
    }
    if (rateLimit != null) {
      return rateLimit;
    }
    return preset == null ? null : preset.rateLimit();
  }

  /** The adaptive limit of a backend, or null for none. */
  @Nullable
  public AdaptiveLimit adaptiveLimitOf(String addr) {
    if (mode == ResilienceMode.DISABLED) {
      return null;
    }
    Optional<AdaptiveLimit> own = adaptiveLimits.get(addr);
    return own != null ? own.orElse(null) : adaptiveLimit;
  }

  /** Whether any backend, configured or added later, may get an adaptive limit. */
  public boolean anyAdaptive() {
    return mode != ResilienceMode.DISABLED
        && (adaptiveLimit != null
            || adaptiveLimits.values().stream().anyMatch(Optional::isPresent));
  }

  /**
   * The breaker policy the mode imposes on every backend, or null when the configuration decides
   * ({@code disabled} is not a policy: the pool gives such backends no breaker at all).
   */
  @Nullable
  public CircuitBreakerPolicy imposedBreaker() {
    return switch (mode) {
      case STRICT -> ResiliencePreset.CRITICAL.circuitBreaker();
      case RELAXED -> ResiliencePreset.RELAXED.circuitBreaker();
      case CONFIGURED, DISABLED -> null;
    };
  }
}
