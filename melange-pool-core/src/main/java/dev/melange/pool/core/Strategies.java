package dev.melange.pool.core;

import dev.melange.pool.core.config.KeySuggestion;
import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.spi.LoadBalancer;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/** The built-in strategies, made by name. */
final class Strategies {
  private Strategies() {}

  /**
   * The named strategy with its settings, drawing random numbers from the calling thread's {@link
   * java.util.concurrent.ThreadLocalRandom}.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  static LoadBalancer create(StrategySettings settings) {
    return create(settings, null);
  }

  /**
   * As {@link #create(StrategySettings)}, drawing from {@code random} when given (for reproducible
   * tests; it must be thread-safe if picks run concurrently).
   */
  static LoadBalancer create(StrategySettings settings, @Nullable RandomGenerator random) {
    return switch (settings.name()) {
      case StrategySettings.LEAST_LOADED -> LeastLoadedStrategy.INSTANCE;
      case StrategySettings.ROUND_ROBIN -> RoundRobinStrategy.INSTANCE;
      case StrategySettings.RANDOM -> new RandomStrategy(random);
      case StrategySettings.WEIGHTED_RANDOM -> new WeightedRandomStrategy(random);
      case StrategySettings.POWER_OF_TWO -> new PowerOfTwoStrategy(random);
      case StrategySettings.WEIGHTED_LEAST_REQUEST ->
          new WeightedLeastRequestStrategy(settings.bias(), random);
      case StrategySettings.PEAK_EWMA -> new PeakEwmaStrategy(random);
      default ->
          throw new IllegalArgumentException(
              "unknown strategy \""
                  + settings.name()
                  + "\", "
                  + KeySuggestion.of(settings.name(), StrategySettings.NAMES));
    };
  }
}
