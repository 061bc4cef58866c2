package dev.melange.pool.core.config;

import dev.melange.pool.core.time.GoDuration;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Reads the routing settings of a {@code backends.yaml}, {@code strategy} and {@code affinity}, for
 * {@link PoolSettingsReader}: problems go to the same {@link ConfigProblems}, and a bad value reads
 * as the default so that the rest of the file is still checked.
 */
public final class RoutingSettingsReader {
  static final List<String> STRATEGY_KEYS = List.of("name", "bias", "decay");
  static final List<String> AFFINITY_KEYS = List.of("loadFactor");

  private final ConfigProblems problems;
  private final YamlValueReader values;

  RoutingSettingsReader(ConfigProblems problems, YamlValueReader values) {
    this.problems = problems;
    this.values = values;
  }

  /**
   * {@code strategy: power-of-two}, or the mapping form {@code {name: ..., bias: ..., decay: ...}}
   * that also carries the strategy's settings.
   */
  StrategySettings strategy(@Nullable Node node) {
    if (node == null) {
      return StrategySettings.DEFAULT;
    }
    if (node instanceof MappingNode mapping) {
      return strategy(mapping);
    }
    if (node instanceof ScalarNode scalar && !YamlValueReader.isNull(node)) {
      String name = strategyName(scalar, "strategy");
      return name == null ? StrategySettings.DEFAULT : StrategySettings.of(name);
    }
    problems.add(
        node,
        "strategy",
        "must be a strategy name or a mapping, was " + YamlValueReader.describe(node));
    return StrategySettings.DEFAULT;
  }

  private StrategySettings strategy(MappingNode mapping) {
    Map<String, Node> fields = values.fields(mapping, "strategy", STRATEGY_KEYS);
    ScalarNode nameNode = values.required(fields, "name", mapping, "strategy");
    String name = nameNode == null ? null : strategyName(nameNode, "strategy.name");
    double bias = StrategySettings.DEFAULT_BIAS;
    Node biasNode = fields.get("bias");
    if (biasNode != null
        && appliesTo(biasNode, "strategy.bias", name, StrategySettings.WEIGHTED_LEAST_REQUEST)) {
      Double value = values.finiteNumber(biasNode, "strategy.bias", 0);
      bias = value == null ? bias : value;
    }
    Duration decay = StrategySettings.DEFAULT_DECAY;
    Node decayNode = fields.get("decay");
    if (decayNode != null
        && appliesTo(decayNode, "strategy.decay", name, StrategySettings.PEAK_EWMA)) {
      Duration value = values.duration(decayNode, "strategy.decay");
      if (value != null && (value.isNegative() || value.isZero())) {
        problems.add(decayNode, "strategy.decay", "must be > 0, was " + GoDuration.format(value));
      } else if (value != null) {
        decay = value;
      }
    }
    return name == null ? StrategySettings.DEFAULT : new StrategySettings(name, bias, decay);
  }

  /** The name if it is a built-in strategy's; null when it is not, which is reported. */
  private @Nullable String strategyName(ScalarNode node, String path) {
    String name = node.getValue();
    if (StrategySettings.NAMES.contains(name)) {
      return name;
    }
    problems.add(
        node,
        path,
        "unknown strategy \""
            + YamlValueReader.shown(name)
            + "\", "
            + KeySuggestion.of(name, StrategySettings.NAMES));
    return null;
  }

  /**
   * Whether a strategy setting belongs to the strategy named; when it does not, that is reported,
   * and the value is not worth checking. An unknown or missing name, reported already, cannot tell,
   * so the value is checked.
   */
  private boolean appliesTo(Node setting, String path, @Nullable String name, String owner) {
    if (name == null || name.equals(owner)) {
      return true;
    }
    problems.add(setting, path, "applies only to " + owner);
    return false;
  }

  /** {@code affinity: {loadFactor: 1.25}}; the default when absent. */
  double affinityLoadFactor(@Nullable Node node) {
    if (node == null) {
      return PoolSettings.DEFAULT_AFFINITY_LOAD_FACTOR;
    }
    if (!(node instanceof MappingNode mapping)) {
      problems.add(node, "affinity", "must be a mapping, was " + YamlValueReader.describe(node));
      return PoolSettings.DEFAULT_AFFINITY_LOAD_FACTOR;
    }
    Node loadFactorNode = values.fields(mapping, "affinity", AFFINITY_KEYS).get("loadFactor");
    Double value =
        loadFactorNode == null
            ? null
            : values.finiteNumber(loadFactorNode, "affinity.loadFactor", 1);
    return value == null ? PoolSettings.DEFAULT_AFFINITY_LOAD_FACTOR : value;
  }
}
