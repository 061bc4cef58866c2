package dev.melange.pool.core.config;

import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.core.time.GoDuration;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads {@code circuitBreaker}, pool-wide and per backend, for {@link PoolSettingsReader}. {@code
 * type} is {@code consecutive} (the default; its {@code failures} and {@code waitInOpen} default to
 * the top-level {@code failureThreshold} and {@code recoveryTimeout}), {@code failure-rate} or
 * {@code failsafe} (whose capacities default, as in Failsafe's builder, to their thresholds). A
 * backend's own mapping overrides the pool's key by key when it keeps the pool's type, and starts
 * from its type's defaults when it names another. Each value is checked where it is written; what
 * only the whole policy can tell is reported at the mapping that completes it.
 */
public final class CircuitBreakerReader {
  static final String CONSECUTIVE = "consecutive";
  static final String FAILURE_RATE = "failure-rate";
  static final String FAILSAFE = "failsafe";
  static final List<String> TYPES = List.of(CONSECUTIVE, FAILURE_RATE, FAILSAFE);

  static final List<String> KEYS =
      List.of(
          "type",
          "failures",
          "waitInOpen",
          "window",
          "buckets",
          "failureRateThreshold",
          "minimumCalls",
          "slowCallRateThreshold",
          "slowCallDuration",
          "permittedTrialLeases",
          "backoff",
          "maxWaitInOpen",
          "failureThreshold",
          "failureThresholdingCapacity",
          "failureThresholdingPeriod",
          "successThreshold",
          "successThresholdingCapacity",
          "delay");

  private static final List<String> CONSECUTIVE_KEYS = List.of("type", "failures", "waitInOpen");
  private static final List<String> FAILURE_RATE_KEYS =
      List.of(
          "type",
          "failures",
          "waitInOpen",
          "window",
          "buckets",
          "failureRateThreshold",
          "minimumCalls",
          "slowCallRateThreshold",
          "slowCallDuration",
          "permittedTrialLeases",
          "backoff",
          "maxWaitInOpen");
  private static final List<String> FAILSAFE_KEYS =
      List.of(
          "type",
          "failureThreshold",
          "failureThresholdingCapacity",
          "failureThresholdingPeriod",
          "successThreshold",
          "successThresholdingCapacity",
          "delay");

  private final ConfigProblems problems;
  private final YamlValueReader values;
  private final CircuitBreakerPolicy.Consecutive consecutiveDefaults;
  private final Map<String, Object> poolValues;
  private final @Nullable CircuitBreakerPolicy poolPolicy;
  private final boolean poolBroken;

  /**
   * Reads the pool-wide {@code circuitBreaker} (null when absent).
   *
   * @param consecutiveDefaults the consecutive breaker's settings from the top-level keys
   */
  CircuitBreakerReader(
      ConfigProblems problems,
      YamlValueReader values,
      @Nullable Node node,
      @Nullable ResiliencePreset preset,
      CircuitBreakerPolicy.Consecutive consecutiveDefaults) {
    this.problems = problems;
    this.values = values;
    this.consecutiveDefaults = consecutiveDefaults;
    Map<String, Object> read = presetValues(preset);
    CircuitBreakerPolicy policy = null;
    boolean broken = false;
    if (node != null && !YamlValueReader.isNull(node)) {
      if (node instanceof MappingNode mapping) {
        int before = problems.count();
        Map<String, Node> fields = values.fields(mapping, "circuitBreaker", KEYS);
        read = over(read, read(fields, "circuitBreaker"));
        policy = build(read, fields, mapping, "circuitBreaker", before);
        broken = policy == null;
      } else {
        problems.add(
            node, "circuitBreaker", "must be a mapping, was " + YamlValueReader.describe(node));
        broken = true;
      }
    }
    this.poolValues = read;
    this.poolPolicy = policy;
    this.poolBroken = broken;
  }

  /** The pool-wide policy; null when there is none (or it is wrong, which is reported). */
  @Nullable CircuitBreakerPolicy poolPolicy() {
    return poolPolicy;
  }

  /**
   * A backend's own policy, or null when it has none (it gets the pool's).
   *
   * @param path the backend's path, {@code backends[2]}
   */
  @Nullable CircuitBreakerPolicy forBackend(
      @Nullable Node node, String path, @Nullable ResiliencePreset preset) {
    if (node == null || YamlValueReader.isNull(node)) {
      return null;
    }
    String where = path + ".circuitBreaker";
    if (!(node instanceof MappingNode mapping)) {
      problems.add(node, where, "must be a mapping, was " + YamlValueReader.describe(node));
      return null;
    }
    int before = problems.count();
    Map<String, Node> fields = values.fields(mapping, where, KEYS);
    Map<String, Object> own = read(fields, where);
    if (poolBroken && preset == null) {
      return null; // what it would override is wrong, and reported
    }
    Map<String, Object> base = preset != null ? presetValues(preset) : poolValues;
    return build(over(base, own), fields, mapping, where, before);
  }

  /**
   * {@code own} over {@code base}, key by key when it keeps the base's type; from its type's
   * defaults when it names another.
   */
  private static Map<String, Object> over(Map<String, Object> base, Map<String, Object> own) {
    Map<String, Object> merged = new LinkedHashMap<>();
    Object ownType = own.getOrDefault("type", base.getOrDefault("type", CONSECUTIVE));
    if (ownType.equals(base.getOrDefault("type", CONSECUTIVE))) {
      merged.putAll(base);
    }
    merged.putAll(own);
    return merged;
  }

  /** A preset's breaker as the keys YAML would write it; empty for none. */
  private static Map<String, Object> presetValues(@Nullable ResiliencePreset preset) {
    Map<String, Object> values = new LinkedHashMap<>();
    if (preset != null) {
      CircuitBreakerPolicy.FailureRate policy = preset.circuitBreaker();
      values.put("type", FAILURE_RATE);
      values.put("window", policy.window());
      values.put("failureRateThreshold", policy.failureRateThreshold());
      values.put("minimumCalls", policy.minimumCalls());
    }
    return values;
  }

  private Map<String, Object> read(Map<String, Node> fields, String path) {
    Map<String, Object> read = new LinkedHashMap<>();
    fields.forEach(
        (key, node) -> {
          String at = path + "." + key;
          Object value =
              switch (key) {
                case "type" -> type(node, at);
                case "failures" -> values.integer(node, at, 0, Integer.MAX_VALUE);
                case "buckets", "permittedTrialLeases" ->
                    values.integer(node, at, 1, CircuitBreakerPolicy.FailureRate.MAX_BUCKETS);
                case "minimumCalls" -> values.integer(node, at, 1, Integer.MAX_VALUE);
                case "failureRateThreshold", "slowCallRateThreshold" -> values.percentage(node, at);
                case "backoff" -> values.finiteNumber(node, at, 1);
                case "waitInOpen", "maxWaitInOpen", "delay" -> duration(node, at, true);
                case "window", "slowCallDuration" -> duration(node, at, false);
                case "failureThreshold", "failureThresholdingCapacity" ->
                    values.integer(node, at, 1, CircuitBreakerPolicy.Failsafe.MAX_CAPACITY);
                case "successThreshold", "successThresholdingCapacity" ->
                    values.integer(node, at, 0, CircuitBreakerPolicy.Failsafe.MAX_CAPACITY);
                case "failureThresholdingPeriod" -> period(node, at);
                default -> throw new IllegalStateException("unread key " + key);
              };
          if (value != null) {
            read.put(key, value);
          }
        });
    return read;
  }

  private @Nullable CircuitBreakerPolicy build(
      Map<String, Object> merged,
      Map<String, Node> fields,
      MappingNode mapping,
      String path,
      int before) {
    boolean typeWrong = fields.containsKey("type") && !merged.containsKey("type");
    String type = (String) merged.getOrDefault("type", CONSECUTIVE);
    if (!typeWrong) {
      fields.forEach(
          (key, node) -> {
            if (!keysOf(type).contains(key)) {
              problems.add(node, path + "." + key, "applies only to " + typesOf(key));
            }
          });
    }
    if (problems.count() > before) {
      return null;
    }
    try {
      if (type.equals(CONSECUTIVE)) {
        return new CircuitBreakerPolicy.Consecutive(
            (Integer) merged.getOrDefault("failures", consecutiveDefaults.failures()),
            (Duration) merged.getOrDefault("waitInOpen", consecutiveDefaults.waitInOpen()));
      }
      if (type.equals(FAILSAFE)) {
        return failsafe(merged);
      }
      CircuitBreakerPolicy.FailureRate d = CircuitBreakerPolicy.FailureRate.defaults();
      Duration waitInOpen = (Duration) merged.getOrDefault("waitInOpen", d.waitInOpen());
      Duration maxWait =
          (Duration)
              merged.getOrDefault(
                  "maxWaitInOpen",
                  waitInOpen.compareTo(d.maxWaitInOpen()) > 0 ? waitInOpen : d.maxWaitInOpen());
      return new CircuitBreakerPolicy.FailureRate(
          (Duration) merged.getOrDefault("window", d.window()),
          (Integer) merged.getOrDefault("buckets", d.buckets()),
          (Double) merged.getOrDefault("failureRateThreshold", d.failureRateThreshold()),
          (Integer) merged.getOrDefault("minimumCalls", d.minimumCalls()),
          (Double) merged.getOrDefault("slowCallRateThreshold", d.slowCallRateThreshold()),
          (Duration) merged.getOrDefault("slowCallDuration", d.slowCallDuration()),
          (Integer) merged.getOrDefault("permittedTrialLeases", d.permittedTrialLeases()),
          waitInOpen,
          (Double) merged.getOrDefault("backoff", d.backoff()),
          maxWait,
          (Integer) merged.getOrDefault("failures", d.failures()));
    } catch (IllegalArgumentException e) {
      problems.add(mapping, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  /** Failsafe's defaults where the merged settings say nothing; capacities follow thresholds. */
  private static CircuitBreakerPolicy.Failsafe failsafe(Map<String, Object> merged) {
    CircuitBreakerPolicy.Failsafe d = CircuitBreakerPolicy.Failsafe.defaults();
    int failureThreshold = (Integer) merged.getOrDefault("failureThreshold", d.failureThreshold());
    int successThreshold = (Integer) merged.getOrDefault("successThreshold", d.successThreshold());
    return new CircuitBreakerPolicy.Failsafe(
        failureThreshold,
        (Integer) merged.getOrDefault("failureThresholdingCapacity", failureThreshold),
        (Duration) merged.getOrDefault("failureThresholdingPeriod", d.failureThresholdingPeriod()),
        successThreshold,
        (Integer) merged.getOrDefault("successThresholdingCapacity", successThreshold),
        (Duration) merged.getOrDefault("delay", d.delay()));
  }

  private static List<String> keysOf(String type) {
    return switch (type) {
      case CONSECUTIVE -> CONSECUTIVE_KEYS;
      case FAILURE_RATE -> FAILURE_RATE_KEYS;
      default -> FAILSAFE_KEYS;
    };
  }

  /** The types a key applies to: "type failsafe", "types consecutive and failure-rate". */
  private static String typesOf(String key) {
    List<String> types = TYPES.stream().filter(type -> keysOf(type).contains(key)).toList();
    return (types.size() == 1 ? "type " : "types ") + String.join(" and ", types);
  }

  private @Nullable String type(Node node, String path) {
    String type = values.text(node, path);
    if (type != null && !TYPES.contains(type)) {
      problems.add(
          node,
          path,
          "unknown circuit breaker type \""
              + YamlValueReader.shown(type)
              + "\", "
              + KeySuggestion.of(type, TYPES));
      return null;
    }
    if (FAILSAFE.equals(type) && !OptionalDependency.FAILSAFE.isPresent()) {
      problems.add(node, path, OptionalDependency.FAILSAFE.missing("the failsafe circuit breaker"));
      return null;
    }
    return type;
  }

  /** A failsafe {@code failureThresholdingPeriod}: 0 (none) or at least Failsafe's 10ms. */
  private @Nullable Duration period(Node node, String path) {
    Duration value = duration(node, path, true);
    if (value != null
        && !value.isZero()
        && value.compareTo(CircuitBreakerPolicy.Failsafe.MIN_PERIOD) < 0) {
      problems.add(
          node,
          path,
          "must be 0 (count the last leases) or >= "
              + GoDuration.format(CircuitBreakerPolicy.Failsafe.MIN_PERIOD)
              + ", was "
              + GoDuration.format(value));
      return null;
    }
    return value;
  }

  private @Nullable Duration duration(Node node, String path, boolean zeroAllowed) {
    Duration value = values.duration(node, path);
    if (value != null && (value.isNegative() || (value.isZero() && !zeroAllowed))) {
      problems.add(
          node,
          path,
          "must be " + (zeroAllowed ? ">= 0" : "> 0") + ", was " + GoDuration.format(value));
      return null;
    }
    return value;
  }
}
