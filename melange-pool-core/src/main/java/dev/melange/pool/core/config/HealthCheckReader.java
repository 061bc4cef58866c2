package dev.melange.pool.core.config;

import dev.melange.pool.HealthCheck;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.internal.DisplayText;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads {@code healthCheck}, pool-wide and per backend, for {@link PoolSettingsReader}. A backend's
 * own {@code healthCheck} mapping overrides the pool's key by key; {@code healthCheck: false} turns
 * the check off for that backend. Each value is checked where it is written; what only the whole
 * check can tell (a threshold above the window) is reported at the mapping that completes it.
 */
public final class HealthCheckReader {
  static final List<String> KEYS =
      List.of(
          "type",
          "interval",
          "timeout",
          "jitter",
          "model",
          "healthyThreshold",
          "unhealthyThreshold",
          "window",
          "threshold",
          "initial",
          "path",
          "expectedStatus",
          "port");

  private static final List<String> MODELS = List.of("consecutive", "window");

  /**
   * The probe types that come with an artifact of ours, by the artifact: a type named but not on
   * the class path gets the artifact to add rather than a list of the types that are.
   */
  private static final Map<String, String> TYPE_ARTIFACTS =
      Map.of("buildkit", "dev.melange:melange-pool-buildkit");

  private static final List<String> HTTP_ONLY = List.of("path", "expectedStatus");
  private static final List<String> CONSECUTIVE_ONLY =
      List.of("healthyThreshold", "unhealthyThreshold");
  private static final List<String> WINDOW_ONLY = List.of("window", "threshold", "initial");

  private final ConfigProblems problems;
  private final YamlValueReader values;

  /** The pool-wide values read, by key; empty when there is no pool-wide check. */
  private final Map<String, Object> poolValues;

  private final @Nullable HealthCheck poolCheck;

  /** The probe types that may be named. */
  private final List<String> types;

  /**
   * Whether the pool-wide check is wrong (which is reported): then overrides are only checked value
   * by value, since what they would override is unknown.
   */
  private final boolean poolBroken;

  /**
   * Reads the pool-wide {@code healthCheck} (null when absent).
   *
   * @param types the probe types that may be named
   */
  HealthCheckReader(
      ConfigProblems problems, YamlValueReader values, @Nullable Node node, List<String> types) {
    this.problems = problems;
    this.values = values;
    this.types = types;
    Map<String, Object> read = new LinkedHashMap<>();
    HealthCheck check = null;
    if (node != null && !isOff(node)) {
      if (node instanceof MappingNode mapping) {
        int before = problems.count();
        Map<String, Node> fields = values.fields(mapping, "healthCheck", KEYS);
        read = read(fields, "healthCheck");
        check = build(read, fields, mapping, "healthCheck", before);
      } else {
        problems.add(
            node,
            "healthCheck",
            "must be a mapping or false, was " + YamlValueReader.describe(node));
      }
    }
    this.poolValues = read;
    this.poolCheck = check;
    this.poolBroken = node != null && !isOff(node) && check == null;
  }

  /** The pool-wide check; null when there is none (or it is wrong, which is reported). */
  @Nullable HealthCheck poolCheck() {
    return poolCheck;
  }

  /**
   * The check of one backend: the pool's, overridden by its own {@code healthCheck} mapping, or
   * none for {@code healthCheck: false}.
   *
   * @param path the backend's path, {@code backends[2]}
   */
  @Nullable HealthCheck forBackend(@Nullable Node node, String path) {
    if (node == null || YamlValueReader.isNull(node)) {
      return poolCheck; // an empty healthCheck: is no override
    }
    if (isOff(node)) {
      return null;
    }
    String where = path + ".healthCheck";
    if (!(node instanceof MappingNode mapping)) {
      problems.add(
          node, where, "must be a mapping or false, was " + YamlValueReader.describe(node));
      return null;
    }
    int before = problems.count();
    Map<String, Node> fields = values.fields(mapping, where, KEYS);
    Map<String, Object> own = read(fields, where);
    if (poolBroken) {
      // What it overrides is wrong (and reported): check what the mapping says of itself.
      requireApplicable(
          fields, (String) own.get("type"), own.containsKey("model") ? model(own) : null, where);
      return null;
    }
    Map<String, Object> merged = new LinkedHashMap<>(poolValues);
    if (own.containsKey("type") && !own.get("type").equals(poolValues.get("type"))) {
      // Another probe: the pool's settings for its own type do not carry over.
      HTTP_ONLY.forEach(merged::remove);
    }
    merged.putAll(own);
    return build(merged, fields, mapping, where, before);
  }

  private static boolean isOff(Node node) {
    return YamlValueReader.isNull(node)
        || (node instanceof ScalarNode scalar
            && scalar.getTag().equals(Tag.BOOL)
            && scalar.getValue().equalsIgnoreCase("false"));
  }

  /** Each value of one mapping, checked on its own; a wrong one is reported and left out. */
  private Map<String, Object> read(Map<String, Node> fields, String path) {
    Map<String, Object> read = new LinkedHashMap<>();
    fields.forEach(
        (key, node) -> {
          String at = path + "." + key;
          Object value =
              switch (key) {
                case "type" -> type(node, at);
                case "interval" -> boundedDuration(node, at, HealthCheck.MIN_INTERVAL);
                case "timeout" -> boundedDuration(node, at, HealthCheck.MIN_TIMEOUT);
                case "jitter" -> values.percentage(node, at);
                case "model" -> model(node, at);
                case "healthyThreshold", "unhealthyThreshold" ->
                    values.integer(node, at, 1, Integer.MAX_VALUE);
                case "window", "threshold" -> values.integer(node, at, 1, HealthCheck.MAX_WINDOW);
                case "initial" -> values.integer(node, at, 0, HealthCheck.MAX_WINDOW);
                case "path" -> path(node, at);
                case "expectedStatus" -> expectedStatus(node, at);
                case "port" -> values.integer(node, at, 0, 65535);
                default -> throw new IllegalStateException("unread key " + key);
              };
          if (value != null) {
            read.put(key, value);
          }
        });
    return read;
  }

  /**
   * Refuses, where they are written, settings of another probe type or model than the check's. A
   * type or model that is null (written wrong, which is reported) refuses nothing.
   */
  private void requireApplicable(
      Map<String, Node> fields,
      @Nullable String type,
      HealthCheck.@Nullable Model model,
      String path) {
    fields.forEach(
        (key, node) -> {
          if (HTTP_ONLY.contains(key) && type != null && !type.equals(HealthCheck.HTTP)) {
            problems.add(node, path + "." + key, "applies only to type http, not " + type);
          } else if (CONSECUTIVE_ONLY.contains(key) && model == HealthCheck.Model.WINDOW) {
            problems.add(node, path + "." + key, "applies only to model consecutive");
          } else if (WINDOW_ONLY.contains(key) && model == HealthCheck.Model.CONSECUTIVE) {
            problems.add(node, path + "." + key, "applies only to model window");
          }
        });
  }

  /**
   * The check the values describe (defaults for the rest); null when they do not make one, which is
   * reported at {@code mapping}, or when a value of the mapping was wrong already.
   *
   * @param before the count of problems before the mapping was read
   */
  private @Nullable HealthCheck build(
      Map<String, Object> merged,
      Map<String, Node> fields,
      MappingNode mapping,
      String path,
      int before) {
    String type = (String) merged.getOrDefault("type", HealthCheck.TCP);
    HealthCheck defaults = HealthCheck.of(type);
    HealthCheck.Model model = model(merged);
    requireApplicable(
        fields,
        fields.containsKey("type") && !merged.containsKey("type") ? null : type,
        fields.containsKey("model") && !merged.containsKey("model") ? null : model,
        path);
    if (problems.count() > before) {
      return null;
    }
    int window = (Integer) merged.getOrDefault("window", defaults.window());
    int threshold =
        (Integer) merged.getOrDefault("threshold", Math.min(defaults.threshold(), window));
    int initial = (Integer) merged.getOrDefault("initial", threshold - 1);
    boolean http = type.equals(HealthCheck.HTTP);
    try {
      return new HealthCheck(
          type,
          (Duration) merged.getOrDefault("interval", defaults.interval()),
          (Duration) merged.getOrDefault("timeout", defaults.timeout()),
          (Double) merged.getOrDefault("jitter", defaults.jitter()),
          model,
          (Integer) merged.getOrDefault("healthyThreshold", defaults.healthyThreshold()),
          (Integer) merged.getOrDefault("unhealthyThreshold", defaults.unhealthyThreshold()),
          window,
          threshold,
          initial,
          http ? (String) merged.getOrDefault("path", "/") : null,
          http ? (Integer) merged.getOrDefault("expectedStatus", 0) : 0,
          (Integer) merged.getOrDefault("port", 0));
    } catch (IllegalArgumentException e) {
      problems.add(mapping, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  private static HealthCheck.Model model(Map<String, Object> values) {
    return "window".equals(values.get("model"))
        ? HealthCheck.Model.WINDOW
        : HealthCheck.Model.CONSECUTIVE;
  }

  private @Nullable String type(Node node, String path) {
    String type = values.text(node, path);
    if (type == null) {
      return null;
    }
    if (!types.contains(type)) {
      problems.add(node, path, unknownType(type, types, ""));
      return null;
    }
    return type;
  }

  /**
   * The problem with a health check type no probe factory provides: the artifact that brings it,
   * when it is one of ours; else the type meant, or the types there are.
   *
   * @param where what to say after the type, such as {@code " for tcp://a:1"}; may be empty
   */
  public static String unknownType(String type, List<String> known, String where) {
    String unknown = "unknown health check type \"" + YamlValueReader.shown(type) + "\"" + where;
    String artifact = TYPE_ARTIFACTS.get(type);
    if (artifact != null) {
      return unknown
          + ": it comes with "
          + artifact
          + ", which is not on the class path; add that artifact (known here: "
          + String.join(", ", known)
          + ")";
    }
    return unknown + ", " + KeySuggestion.of(type, known);
  }

  private @Nullable String model(Node node, String path) {
    String model = values.text(node, path);
    if (model == null) {
      return null;
    }
    if (!MODELS.contains(model)) {
      problems.add(
          node,
          path,
          "unknown model \""
              + YamlValueReader.shown(model)
              + "\", "
              + KeySuggestion.of(model, MODELS));
      return null;
    }
    return model;
  }

  private @Nullable String path(Node node, String at) {
    String path = values.text(node, at);
    if (path != null && DisplayText.firstControl(path) >= 0) {
      problems.add(
          node,
          at,
          "must not contain control characters, was \"" + YamlValueReader.shown(path) + "\"");
      return null;
    }
    if (path != null && (!path.startsWith("/") || path.chars().anyMatch(Character::isWhitespace))) {
      problems.add(
          node,
          at,
          "must start with / and contain no whitespace, was \""
              + YamlValueReader.shown(path)
              + "\"");
      return null;
    }
    return path;
  }

  private @Nullable Integer expectedStatus(Node node, String at) {
    Integer status = values.integer(node, at, 0, 599);
    if (status != null && status != 0 && status < 100) {
      problems.add(node, at, "must be from 100 to 599, or 0 for any 2xx, was " + status);
      return null;
    }
    return status;
  }

  /**
   * A duration of at least {@code min} ({@link HealthCheck#MIN_INTERVAL}, {@link
   * HealthCheck#MIN_TIMEOUT}) and at most {@link HealthCheck#MAX_INTERVAL}; null when it is not,
   * which is reported.
   */
  private @Nullable Duration boundedDuration(Node node, String path, Duration min) {
    Duration value = values.duration(node, path);
    if (value != null && (value.isNegative() || value.isZero())) {
      problems.add(node, path, "must be > 0, was " + GoDuration.format(value));
      return null;
    }
    if (value != null && value.compareTo(min) < 0) {
      problems.add(
          node, path, "must be >= " + GoDuration.format(min) + ", was " + GoDuration.format(value));
      return null;
    }
    if (value != null && value.compareTo(HealthCheck.MAX_INTERVAL) > 0) {
      problems.add(
          node,
          path,
          "must be <= "
              + GoDuration.format(HealthCheck.MAX_INTERVAL)
              + ", was "
              + GoDuration.format(value));
      return null;
    }
    return value;
  }
}
