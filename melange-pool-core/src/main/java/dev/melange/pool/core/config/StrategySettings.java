package dev.melange.pool.core.config;

import java.time.Duration;
import java.util.List;

/**
 * A built-in strategy by name, with the settings of the two that have any.
 *
 * @param name one of {@link #NAMES}
 * @param bias {@code weighted-least-request}: the exponent of {@code active + 1} that divides a
 *     weight; at least 0
 * @param decay {@code peak-ewma}: how fast old latency samples fade; positive
 */
public record StrategySettings(String name, double bias, Duration decay) {

  public static final String LEAST_LOADED = "least-loaded";
  public static final String ROUND_ROBIN = "round-robin";
  public static final String RANDOM = "random";
  public static final String WEIGHTED_RANDOM = "weighted-random";
  public static final String POWER_OF_TWO = "power-of-two";
  public static final String WEIGHTED_LEAST_REQUEST = "weighted-least-request";
  public static final String PEAK_EWMA = "peak-ewma";

  /** Every built-in strategy's name. */
  public static final List<String> NAMES =
      List.of(
          LEAST_LOADED,
          ROUND_ROBIN,
          RANDOM,
          WEIGHTED_RANDOM,
          POWER_OF_TWO,
          WEIGHTED_LEAST_REQUEST,
          PEAK_EWMA);

  static final double DEFAULT_BIAS = 1.0;
  public static final Duration DEFAULT_DECAY = Duration.ofSeconds(10);
  public static final StrategySettings DEFAULT = of(LEAST_LOADED);

  /** The named strategy with default settings; the name is not checked. */
  public static StrategySettings of(String name) {
    return new StrategySettings(name, DEFAULT_BIAS, DEFAULT_DECAY);
  }
}
