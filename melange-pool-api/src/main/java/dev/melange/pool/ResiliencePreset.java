package dev.melange.pool;

import java.time.Duration;

/**
 * Named resilience policies with the numbers of the build system's reference document: each is a
 * {@link CircuitBreakerPolicy.FailureRate failure-rate} breaker (its threshold, minimum calls and
 * window; the other settings are the failure-rate defaults) and a {@link RateLimit token bucket}.
 * YAML: {@code policy: network}, pool-wide or per backend; settings written next to it ({@code
 * circuitBreaker}, {@code rateLimit}) override the preset's key by key.
 *
 * <table>
 *   <caption>The presets</caption>
 *   <tr><th>preset</th><th>failure rate</th><th>minimum calls</th><th>window</th><th>rate</th>
 *       <th>burst</th></tr>
 *   <tr><td>critical</td><td>30%</td><td>5</td><td>15s</td><td>50/s</td><td>75</td></tr>
 *   <tr><td>standard</td><td>50%</td><td>10</td><td>30s</td><td>100/s</td><td>200</td></tr>
 *   <tr><td>network</td><td>40%</td><td>10</td><td>20s</td><td>150/s</td><td>300</td></tr>
 *   <tr><td>highThroughput</td><td>60%</td><td>15</td><td>45s</td><td>500/s</td><td>1000</td></tr>
 *   <tr><td>relaxed</td><td>70%</td><td>20</td><td>60s</td><td>200/s</td><td>500</td></tr>
 * </table>
 */
// Its fields are records of immutable values; Error Prone cannot tell without @Immutable, which
// would need its annotations on the api's classpath.
@SuppressWarnings("ImmutableEnumChecker")
public enum ResiliencePreset {
  /** Fail fast, low tolerance, conservative limits: for what everything else depends on. */
  CRITICAL("critical", 30, 5, 15, 50, 75),
  /** Balanced protection and throughput: most backends. */
  STANDARD("standard", 50, 10, 30, 100, 200),
  /**
   * Tolerant of transient network trouble, burst-friendly: remote caches and stores. (The reference
   * gives it no minimum; it gets the failure-rate default, 10.)
   */
  NETWORK("network", 40, 10, 20, 150, 300),
  /** High capacity, tolerant of brief spikes: internal high-traffic services. */
  HIGH_THROUGHPUT("highThroughput", 60, 15, 45, 500, 1000),
  /** Very tolerant, high limits: best-effort work. */
  RELAXED("relaxed", 70, 20, 60, 200, 500);

  private final String yamlName;
  private final CircuitBreakerPolicy.FailureRate circuitBreaker;
  private final RateLimit rateLimit;

  ResiliencePreset(
      String yamlName,
      double failureRate,
      int minimumCalls,
      int windowSeconds,
      int rate,
      int burst) {
    this.yamlName = yamlName;
    CircuitBreakerPolicy.FailureRate d = CircuitBreakerPolicy.FailureRate.defaults();
    this.circuitBreaker =
        new CircuitBreakerPolicy.FailureRate(
            Duration.ofSeconds(windowSeconds),
            d.buckets(),
            failureRate,
            minimumCalls,
            d.slowCallRateThreshold(),
            d.slowCallDuration(),
            d.permittedTrialLeases(),
            d.waitInOpen(),
            d.backoff(),
            d.maxWaitInOpen(),
            d.failures());
    this.rateLimit = RateLimit.of(rate, burst);
  }

  /** The name YAML uses: {@code critical}, {@code standard}, {@code highThroughput}... */
  public String yamlName() {
    return yamlName;
  }

  /** The preset's circuit breaker. */
  public CircuitBreakerPolicy.FailureRate circuitBreaker() {
    return circuitBreaker;
  }

  /** The preset's token bucket. */
  public RateLimit rateLimit() {
    return rateLimit;
  }

  /**
   * The preset YAML calls {@code name}.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static ResiliencePreset of(String name) {
    for (ResiliencePreset preset : values()) {
      if (preset.yamlName.equals(name)) {
        return preset;
      }
    }
    throw new IllegalArgumentException(
        "unknown policy \"" + name + "\", expected one of " + names());
  }

  /** The YAML names, comma-separated. */
  static String names() {
    StringBuilder names = new StringBuilder();
    for (ResiliencePreset preset : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(preset.yamlName);
    }
    return names.toString();
  }
}
