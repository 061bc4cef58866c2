package dev.melange.pool.core.config;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.Backend;
import dev.melange.pool.RateLimit;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.core.time.GoDuration;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads {@code policy}, {@code rateLimit}, {@code adaptiveLimit} and {@code resilience}, pool-wide
 * and per backend, for {@link PoolSettingsReader}.
 *
 * <p>A {@code rateLimit} mapping is merged key by key over what it refines: a backend's over its
 * own preset's bucket when it names a {@code policy}, else over the pool's {@code rateLimit}
 * (itself merged over the pool's preset's); {@code rateLimit: false} turns a backend's off. {@code
 * adaptiveLimit} works the same, without presets. A rate is {@code <number>/<unit>} with unit
 * {@code s}, {@code m} or {@code h} ({@code 10/s}, {@code 600/m}), or a plain number a second.
 */
public final class ResilienceReader {
  static final List<String> RATE_KEYS = List.of("rate", "burst", "adaptive");
  static final List<String> ADAPTIVE_KEYS = List.of("algorithm", "min", "latencyThreshold");
  private static final List<String> ALGORITHMS = List.of("aimd", "gradient");
  private static final List<String> MODES =
      Arrays.stream(ResilienceMode.values()).map(ResilienceMode::yamlName).toList();
  private static final List<String> PRESETS =
      Arrays.stream(ResiliencePreset.values()).map(ResiliencePreset::yamlName).toList();
  private static final Pattern RATE = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)/(s|m|h)");

  private final ConfigProblems problems;
  private final YamlValueReader values;

  private final ResilienceMode mode;
  private final @Nullable ResiliencePreset preset;
  private final Map<String, Object> poolRate;
  private final @Nullable RateLimit poolRateLimit;
  private final Map<String, Object> poolAdaptive;
  private final @Nullable AdaptiveLimit poolAdaptiveLimit;

  private final Map<String, ResiliencePreset> presets = new LinkedHashMap<>();
  private final Map<String, Optional<RateLimit>> rateLimits = new LinkedHashMap<>();
  private final Map<String, Optional<AdaptiveLimit>> adaptiveLimits = new LinkedHashMap<>();

  /** Reads the pool-wide keys (each null when absent). */
  ResilienceReader(
      ConfigProblems problems,
      YamlValueReader values,
      @Nullable Node mode,
      @Nullable Node preset,
      @Nullable Node rateLimit,
      @Nullable Node adaptiveLimit) {
    this.problems = problems;
    this.values = values;
    this.mode = mode == null ? ResilienceMode.CONFIGURED : mode(mode);
    this.preset = preset == null ? null : preset(preset, "policy");
    this.poolRate = presetRate(this.preset);
    this.poolRateLimit =
        poolSetting(rateLimit, "rateLimit", poolRate, this::readRate, this::buildRate);
    this.poolAdaptive = new LinkedHashMap<>();
    this.poolAdaptiveLimit =
        poolSetting(
            adaptiveLimit, "adaptiveLimit", poolAdaptive, this::readAdaptive, this::buildAdaptive);
  }

  /** Reads one kind of mapping's keys. */
  @FunctionalInterface
  private interface KeyReader {
    Map<String, Object> read(MappingNode mapping, String path);
  }

  /** Makes one kind of setting from its merged keys; null when they are wrong (reported). */
  @FunctionalInterface
  private interface SettingBuilder<T> {
    @Nullable T build(Map<String, Object> merged, Node mapping, String path);
  }

  /**
   * A pool-wide mapping, merged into {@code values} over what they hold (a preset's); null when
   * absent or wrong (reported).
   */
  private <T> @Nullable T poolSetting(
      @Nullable Node node,
      String key,
      Map<String, Object> values,
      KeyReader reader,
      SettingBuilder<T> builder) {
    if (node == null || YamlValueReader.isNull(node)) {
      return null;
    }
    if (!(node instanceof MappingNode mapping)) {
      problems.add(node, key, "must be a mapping, was " + YamlValueReader.describe(node));
      return null;
    }
    values.putAll(reader.read(mapping, key));
    return builder.build(values, mapping, key);
  }

  /**
   * A backend's own mapping merged over {@code base}, or {@code false} for none; null when wrong
   * (reported).
   */
  private <T> @Nullable Own<T> backendSetting(
      Node node,
      String where,
      Map<String, Object> base,
      KeyReader reader,
      SettingBuilder<T> builder) {
    if (isOff(node)) {
      return new Own<>(null);
    }
    if (!(node instanceof MappingNode mapping)) {
      problems.add(
          node, where, "must be a mapping or false, was " + YamlValueReader.describe(node));
      return null;
    }
    Map<String, Object> merged = new LinkedHashMap<>(base);
    merged.putAll(reader.read(mapping, where));
    T setting = builder.build(merged, mapping, where);
    return setting == null ? null : new Own<>(setting);
  }

  /** The pool-wide preset, for the circuit breaker reader to start from; null for none. */
  @Nullable ResiliencePreset preset() {
    return preset;
  }

  /**
   * Reads a backend's {@code policy} (returned, for its circuit breaker) and records its preset.
   */
  @Nullable ResiliencePreset backendPreset(@Nullable Node node, String path) {
    if (node == null || YamlValueReader.isNull(node)) {
      return null;
    }
    return preset(node, path + ".policy");
  }

  /**
   * Reads a backend's {@code rateLimit} and {@code adaptiveLimit}; remembers them, with its preset,
   * once the backend is known to be good ({@link #keep}).
   */
  BackendResilience read(
      @Nullable ResiliencePreset ownPreset,
      @Nullable Node rateLimit,
      @Nullable Node adaptiveLimit,
      String path) {
    Own<RateLimit> rate = null;
    if (rateLimit != null && !YamlValueReader.isNull(rateLimit)) {
      rate = backendRate(ownPreset, rateLimit, path + ".rateLimit");
    } else if (ownPreset != null) {
      rate = new Own<>(ownPreset.rateLimit());
    }
    Own<AdaptiveLimit> adaptive = null;
    if (adaptiveLimit != null && !YamlValueReader.isNull(adaptiveLimit)) {
      adaptive = backendAdaptive(adaptiveLimit, path + ".adaptiveLimit");
    }
    return new BackendResilience(ownPreset, rate, adaptive);
  }

  /** What {@link #read} found for one backend; null fields mean "as the pool". */
  record BackendResilience(
      @Nullable ResiliencePreset preset,
      @Nullable Own<RateLimit> rateLimit,
      @Nullable Own<AdaptiveLimit> adaptiveLimit) {}

  /** A backend's own setting: a value, or null for "none" ({@code false} in YAML). */
  record Own<T>(@Nullable T value) {}

  /** Records a good backend's settings. */
  void keep(String addr, BackendResilience backend) {
    if (backend.preset() != null) {
      presets.put(addr, backend.preset());
    }
    Own<RateLimit> rate = backend.rateLimit();
    if (rate != null) {
      rateLimits.put(addr, Optional.ofNullable(rate.value()));
    }
    Own<AdaptiveLimit> adaptive = backend.adaptiveLimit();
    if (adaptive != null) {
      adaptiveLimits.put(addr, Optional.ofNullable(adaptive.value()));
    }
  }

  /** Everything read. */
  ResilienceSettings settings() {
    return new ResilienceSettings(
        mode, preset, presets, poolRateLimit, rateLimits, poolAdaptiveLimit, adaptiveLimits);
  }

  private @Nullable Own<RateLimit> backendRate(
      @Nullable ResiliencePreset ownPreset, Node node, String where) {
    Map<String, Object> base = ownPreset != null ? presetRate(ownPreset) : poolRate;
    return backendSetting(node, where, base, this::readRate, this::buildRate);
  }

  private @Nullable Own<AdaptiveLimit> backendAdaptive(Node node, String where) {
    return backendSetting(node, where, poolAdaptive, this::readAdaptive, this::buildAdaptive);
  }

  private static Map<String, Object> presetRate(@Nullable ResiliencePreset preset) {
    Map<String, Object> rate = new LinkedHashMap<>();
    if (preset != null) {
      rate.put("rate", preset.rateLimit().rate());
      rate.put("burst", preset.rateLimit().burst());
      rate.put("adaptive", preset.rateLimit().adaptive());
    }
    return rate;
  }

  private Map<String, Object> readRate(MappingNode mapping, String path) {
    Map<String, Object> read = new LinkedHashMap<>();
    values
        .fields(mapping, path, RATE_KEYS)
        .forEach(
            (key, node) -> {
              String at = path + "." + key;
              Object value =
                  switch (key) {
                    case "rate" -> rate(node, at);
                    case "burst" -> values.integer(node, at, 1, RateLimit.MAX_BURST);
                    case "adaptive" -> values.bool(node, at);
                    default -> throw new IllegalStateException("unread key " + key);
                  };
              if (value != null) {
                read.put(key, value);
              }
            });
    return read;
  }

  private @Nullable RateLimit buildRate(Map<String, Object> merged, Node mapping, String path) {
    Double rate = (Double) merged.get("rate");
    if (rate == null) {
      if (!hasKey(mapping, "rate")) {
        problems.add(mapping, path, "rate is required (for example rate: 10/s)");
      }
      return null;
    }
    int burst = (Integer) merged.getOrDefault("burst", (int) Math.max(1, Math.ceil(rate)));
    boolean adaptive = (Boolean) merged.getOrDefault("adaptive", false);
    try {
      return new RateLimit(rate, burst, adaptive);
    } catch (IllegalArgumentException e) {
      problems.add(mapping, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  private Map<String, Object> readAdaptive(MappingNode mapping, String path) {
    Map<String, Object> read = new LinkedHashMap<>();
    values
        .fields(mapping, path, ADAPTIVE_KEYS)
        .forEach(
            (key, node) -> {
              String at = path + "." + key;
              Object value =
                  switch (key) {
                    case "algorithm" -> algorithm(node, at);
                    case "min" -> values.integer(node, at, 1, Backend.MAX_JOBS_LIMIT);
                    case "latencyThreshold" -> nonNegative(node, at);
                    default -> throw new IllegalStateException("unread key " + key);
                  };
              if (value != null) {
                read.put(key, value);
              }
            });
    return read;
  }

  private @Nullable AdaptiveLimit buildAdaptive(
      Map<String, Object> merged, Node mapping, String path) {
    AdaptiveLimit.Algorithm algorithm = (AdaptiveLimit.Algorithm) merged.get("algorithm");
    if (algorithm == null) {
      if (!hasKey(mapping, "algorithm")) {
        problems.add(mapping, path, "algorithm is required (aimd or gradient)");
      }
      return null;
    }
    try {
      return new AdaptiveLimit(
          algorithm,
          (Integer) merged.getOrDefault("min", 1),
          (Duration) merged.getOrDefault("latencyThreshold", Duration.ZERO));
    } catch (IllegalArgumentException e) {
      problems.add(mapping, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  /** {@code 10/s}, {@code 600/m}, {@code 2.5/h}, or a plain number a second; null if wrong. */
  private @Nullable Double rate(Node node, String path) {
    if (node instanceof ScalarNode scalar
        && (scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT))) {
      Double value = values.finiteNumber(node, path, 0);
      return value == null ? null : positiveRate(value, node, path);
    }
    String text = values.text(node, path);
    if (text == null) {
      return null;
    }
    Matcher matcher = RATE.matcher(text.strip());
    if (!matcher.matches()) {
      problems.add(
          node,
          path,
          "must be a rate such as 10/s, 600/m or 50/h, was \""
              + YamlValueReader.shown(text)
              + "\"");
      return null;
    }
    double count = Double.parseDouble(matcher.group(1));
    double perSecond =
        switch (matcher.group(2)) {
          case "s" -> count;
          case "m" -> count / 60;
          default -> count / 3600;
        };
    return positiveRate(perSecond, node, path);
  }

  private @Nullable Double positiveRate(double perSecond, Node node, String path) {
    if (perSecond < RateLimit.MIN_RATE || perSecond > 1e9) {
      problems.add(
          node,
          path,
          "must be from one a day to 1e9 a second, was " + YamlValueReader.describe(node));
      return null;
    }
    return perSecond;
  }

  private AdaptiveLimit.@Nullable Algorithm algorithm(Node node, String path) {
    String text = values.text(node, path);
    if (text == null) {
      return null;
    }
    if (!ALGORITHMS.contains(text)) {
      problems.add(
          node,
          path,
          "unknown algorithm \""
              + YamlValueReader.shown(text)
              + "\", "
              + KeySuggestion.of(text, ALGORITHMS));
      return null;
    }
    return AdaptiveLimit.Algorithm.valueOf(text.toUpperCase(Locale.ROOT));
  }

  private @Nullable Duration nonNegative(Node node, String path) {
    Duration value = values.duration(node, path);
    if (value != null && value.isNegative()) {
      problems.add(node, path, "must be >= 0, was " + GoDuration.format(value));
      return null;
    }
    return value;
  }

  private ResilienceMode mode(Node node) {
    String text = values.text(node, "resilience");
    if (text == null) {
      return ResilienceMode.CONFIGURED;
    }
    if (!MODES.contains(text)) {
      problems.add(
          node,
          "resilience",
          "unknown resilience mode \""
              + YamlValueReader.shown(text)
              + "\", "
              + KeySuggestion.of(text, MODES));
      return ResilienceMode.CONFIGURED;
    }
    return ResilienceMode.of(text);
  }

  private @Nullable ResiliencePreset preset(Node node, String path) {
    String text = values.text(node, path);
    if (text == null) {
      return null;
    }
    if (!PRESETS.contains(text)) {
      problems.add(
          node,
          path,
          "unknown policy \""
              + YamlValueReader.shown(text)
              + "\", "
              + KeySuggestion.of(text, PRESETS));
      return null;
    }
    return ResiliencePreset.of(text);
  }

  /** Whether the mapping writes {@code key} (a wrong value there is reported already). */
  private static boolean hasKey(Node mapping, String key) {
    return mapping instanceof MappingNode map
        && map.getValue().stream()
            .anyMatch(
                tuple ->
                    tuple.getKeyNode() instanceof ScalarNode scalar
                        && scalar.getValue().equals(key));
  }

  private static boolean isOff(Node node) {
    return node instanceof ScalarNode scalar
        && scalar.getTag().equals(Tag.BOOL)
        && scalar.getValue().equalsIgnoreCase("false");
  }
}
