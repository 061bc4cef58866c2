package dev.melange.pool;

import java.util.Locale;

/**
 * A switch over every backend's breaker and rate limit, for debugging and incidents: YAML {@code
 * resilience: strict}, or the environment variable {@code MELANGE_POOL_RESILIENCE}, which wins over
 * both YAML and the builder so that an operator can flip it without editing configuration.
 */
public enum ResilienceMode {
  /** Each backend's breaker, rate limit and adaptive limit as configured (the default). */
  CONFIGURED,
  /**
   * Every backend gets the {@link ResiliencePreset#CRITICAL critical} preset's breaker and rate
   * limit, whatever it was configured with (its adaptive limit stays).
   */
  STRICT,
  /**
   * Every backend gets the {@link ResiliencePreset#RELAXED relaxed} preset's breaker and rate
   * limit, whatever it was configured with (its adaptive limit stays).
   */
  RELAXED,
  /**
   * No circuit breakers, rate limits or adaptive limits: every backend takes leases up to its
   * {@code maxJobs}, whatever their outcomes. Health checks, cordons and drains still apply.
   */
  DISABLED;

  /** The environment variable that overrides the configured mode. */
  public static final String ENVIRONMENT_VARIABLE = "MELANGE_POOL_RESILIENCE";

  /** The name YAML and the environment use: {@code configured}, {@code strict}... */
  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The mode YAML or the environment calls {@code name} (case-insensitive).
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static ResilienceMode of(String name) {
    for (ResilienceMode mode : values()) {
      if (mode.yamlName().equalsIgnoreCase(name.strip())) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown resilience mode \""
            + name
            + "\", expected configured, strict, relaxed or disabled");
  }
}
