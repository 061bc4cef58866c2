package dev.melange.pool.core.config;

import dev.melange.pool.Backend;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.Tls;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.core.health.ProbeEndpoint;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.spi.HealthProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Walks a composed {@code backends.yaml} document into {@link PoolSettings}, checking every key and
 * value and collecting every problem before giving up, so that one run shows all that is wrong with
 * a file.
 *
 * <p>melange-server's format, with these differences, all refusals of files melange would accept or
 * misread: unknown and duplicate keys are refused, duplicate backend addresses are refused (melange
 * merges them into one shared state; two addresses are the same when their canonical forms are, so
 * {@code TCP://X1:1234} repeats {@code tcp://x1:1234}), and types are strict (a quoted {@code "4"}
 * is not an integer, a bare {@code 30} is not a duration). What {@link Backend} refuses of an
 * address, an arch or labels (a malformed address, control characters, lengths) is refused where it
 * is written, in Backend's words. Everything beyond melange's keys ({@code backends[].addr, arch,
 * maxJobs, labels}, {@code defaultMaxJobs}, {@code failureThreshold}, {@code recoveryTimeout}) is
 * ours: the routing settings, health checks, circuit breakers, the resilience keys ({@link
 * ResilienceReader}), {@code acquireTimeout}, {@code priorityAging}, {@code failOpen} and {@code
 * watch}.
 */
public final class PoolSettingsReader {

  static final List<String> TOP_LEVEL_KEYS =
      List.of(
          "backends",
          "defaultMaxJobs",
          "failureThreshold",
          "recoveryTimeout",
          "acquireTimeout",
          "strategy",
          "affinity",
          "slowStart",
          "failOpen",
          "healthCheck",
          "watch",
          "circuitBreaker",
          "policy",
          "rateLimit",
          "adaptiveLimit",
          "resilience",
          "priorityAging");
  static final List<String> BACKEND_KEYS =
      List.of(
          "addr",
          "arch",
          "maxJobs",
          "labels",
          "weight",
          "backup",
          "healthCheck",
          "circuitBreaker",
          "policy",
          "rateLimit",
          "adaptiveLimit",
          "allowEmulated",
          "tls");

  private final ConfigProblems problems;
  private final YamlValueReader values;

  /**
   * A well-formed address, to check an arch or labels with {@link Backend}'s own checks whatever
   * the backend's address is (it may be wrong itself, and reported).
   */
  private static final String ANY_ADDR = "tcp://checked-alone:1";

  /**
   * Each address seen so far, in canonical form, and the node it was first given at, to refuse
   * repeats.
   */
  private final Map<String, Node> addresses = new HashMap<>();

  /** Each checked backend's health check, by address. */
  private final Map<String, HealthCheck> healthChecks = new HashMap<>();

  /** The probe types a {@code healthCheck.type} may name. */
  private final List<String> probeTypes;

  private @Nullable HealthCheckReader healthCheckReader;

  private final TlsReader tlsReader;

  private @Nullable CircuitBreakerReader circuitBreakerReader;

  private @Nullable ResilienceReader resilienceReader;

  /** Each backend's own circuit breaker policy, by address. */
  private final Map<String, CircuitBreakerPolicy> circuitBreakers = new HashMap<>();

  /** Where each backend's entry is, as {@code line:column}, by {@code backends[i]}. */
  private final Map<String, String> backendLocations = new HashMap<>();

  public PoolSettingsReader(String file) {
    this(file, HealthService.knownTypes());
  }

  public PoolSettingsReader(String file, List<String> probeTypes) {
    this.problems = new ConfigProblems(file);
    this.values = new YamlValueReader(problems);
    this.tlsReader = new TlsReader(problems, values, file);
    this.probeTypes = List.copyOf(probeTypes);
  }

  /**
   * The settings the document describes.
   *
   * @param root the document's root node, null for an empty file
   * @throws dev.melange.pool.PoolConfigException listing every problem, when there is any
   */
  public PoolSettings read(@Nullable Node root) {
    if (root == null) {
      problems.addAt(1, 1, "backends", "at least one backend is required");
      throw problems.toException();
    }
    if (YamlValueReader.isNull(root)) {
      problems.add(root, "backends", "at least one backend is required");
      throw problems.toException();
    }
    if (!(root instanceof MappingNode mapping)) {
      problems.add(root, "(root)", "must be a mapping, was " + YamlValueReader.describe(root));
      throw problems.toException();
    }
    Map<String, Node> fields = values.fields(mapping, "", TOP_LEVEL_KEYS);
    healthCheckReader =
        new HealthCheckReader(problems, values, fields.get("healthCheck"), probeTypes);
    int failureThreshold =
        orDefault(
            fields, "failureThreshold", PoolSettings.DEFAULT_FAILURE_THRESHOLD, Integer.MAX_VALUE);
    Duration recoveryTimeout =
        duration(fields, "recoveryTimeout", PoolSettings.DEFAULT_RECOVERY_TIMEOUT, false);
    resilienceReader =
        new ResilienceReader(
            problems,
            values,
            fields.get("resilience"),
            fields.get("policy"),
            fields.get("rateLimit"),
            fields.get("adaptiveLimit"));
    circuitBreakerReader =
        new CircuitBreakerReader(
            problems,
            values,
            fields.get("circuitBreaker"),
            resilienceReader.preset(),
            new CircuitBreakerPolicy.Consecutive(
                failureThreshold,
                recoveryTimeout.isNegative() || recoveryTimeout.isZero()
                    ? PoolSettings.DEFAULT_RECOVERY_TIMEOUT
                    : recoveryTimeout));
    List<Backend> backends = backends(fields.get("backends"), mapping);
    int defaultMaxJobs =
        orDefault(fields, "defaultMaxJobs", PoolSettings.DEFAULT_MAX_JOBS, Backend.MAX_JOBS_LIMIT);
    Duration acquireTimeout =
        duration(fields, "acquireTimeout", PoolSettings.DEFAULT_ACQUIRE_TIMEOUT, true);
    Duration priorityAging = priorityAging(fields.get("priorityAging"));
    RoutingSettingsReader routing = new RoutingSettingsReader(problems, values);
    StrategySettings strategy = routing.strategy(fields.get("strategy"));
    double affinityLoadFactor = routing.affinityLoadFactor(fields.get("affinity"));
    Duration slowStart = slowStart(fields.get("slowStart"));
    Node failOpenNode = fields.get("failOpen");
    Boolean failOpen = failOpenNode == null ? Boolean.TRUE : values.bool(failOpenNode, "failOpen");
    Node watchNode = fields.get("watch");
    Boolean watch = watchNode == null ? Boolean.FALSE : values.bool(watchNode, "watch");
    problems.throwIfAny();
    return PoolSettings.builder()
        .backends(backends)
        .defaultMaxJobs(defaultMaxJobs)
        .failureThreshold(failureThreshold)
        .recoveryTimeout(recoveryTimeout)
        .acquireTimeout(acquireTimeout)
        .strategy(strategy)
        .affinityLoadFactor(affinityLoadFactor)
        .slowStart(slowStart)
        .failOpen(failOpen == null || failOpen)
        .circuitBreaker(Objects.requireNonNull(circuitBreakerReader).poolPolicy())
        .circuitBreakers(circuitBreakers)
        .healthCheck(Objects.requireNonNull(healthCheckReader).poolCheck())
        .healthChecks(healthChecks)
        .resilience(Objects.requireNonNull(resilienceReader).settings())
        .watch(watch != null && watch)
        .locations(locations(fields, backendLocations))
        .priorityAging(priorityAging)
        .build();
  }

  private List<Backend> backends(@Nullable Node node, MappingNode root) {
    if (node == null) {
      problems.add(root, "backends", "at least one backend is required");
      return List.of();
    }
    if (YamlValueReader.isNull(node)
        || (node instanceof SequenceNode sequence && sequence.getValue().isEmpty())) {
      problems.add(node, "backends", "at least one backend is required");
      return List.of();
    }
    if (!(node instanceof SequenceNode sequence)) {
      problems.add(
          node,
          "backends",
          "must be a sequence of backends, was " + YamlValueReader.describe(node));
      return List.of();
    }
    List<Backend> backends = new ArrayList<>();
    List<Node> items = sequence.getValue();
    for (int i = 0; i < items.size(); i++) {
      String path = "backends[" + i + "]";
      items.get(i).getStartMark().ifPresent(mark -> backendLocations.put(path, location(mark)));
      Backend backend = backend(items.get(i), path);
      if (backend != null) {
        backends.add(backend);
      }
    }
    return backends;
  }

  private @Nullable Backend backend(Node node, String path) {
    if (!(node instanceof MappingNode mapping)) {
      problems.add(node, path, "must be a mapping, was " + YamlValueReader.describe(node));
      return null;
    }
    int before = problems.count();
    Map<String, Node> fields = values.fields(mapping, path, BACKEND_KEYS);
    ScalarNode addr = values.required(fields, "addr", mapping, path);
    HealthCheck check =
        Objects.requireNonNull(healthCheckReader).forBackend(fields.get("healthCheck"), path);
    // Left out, the arch is learned from a probe that discovers it (buildkit's); given, it is
    // checked against the daemon's.
    boolean discovered = !fields.containsKey("arch") && discoversArch(check);
    ScalarNode arch = discovered ? null : values.required(fields, "arch", mapping, path);
    Node emulatedNode = fields.get("allowEmulated");
    Boolean allowEmulated =
        emulatedNode == null ? Boolean.FALSE : values.bool(emulatedNode, path + ".allowEmulated");
    Tls tls = tlsReader.read(fields.get("tls"), path + ".tls");
    Node maxJobsNode = fields.get("maxJobs");
    Integer maxJobs =
        maxJobsNode == null
            ? Integer.valueOf(0)
            : values.integer(maxJobsNode, path + ".maxJobs", 0, Backend.MAX_JOBS_LIMIT);
    Node weightNode = fields.get("weight");
    Integer weight =
        weightNode == null
            ? Integer.valueOf(1)
            : values.integer(weightNode, path + ".weight", 1, Backend.MAX_WEIGHT);
    Node labelsNode = fields.get("labels");
    Map<String, String> labels =
        labelsNode == null ? Map.of() : labels(labelsNode, path + ".labels");
    Node backupNode = fields.get("backup");
    Boolean backup = backupNode == null ? Boolean.FALSE : values.bool(backupNode, path + ".backup");
    String canonical = addr == null ? null : canonicalAddr(addr, path + ".addr");
    if (addr != null && canonical != null) {
      requireNewAddr(addr, canonical, path + ".addr");
    }
    if (arch != null) {
      requireArch(arch, path + ".arch");
    }
    ResilienceReader resilience = Objects.requireNonNull(resilienceReader);
    ResiliencePreset preset = resilience.backendPreset(fields.get("policy"), path);
    CircuitBreakerPolicy breaker =
        Objects.requireNonNull(circuitBreakerReader)
            .forBackend(fields.get("circuitBreaker"), path, preset);
    ResilienceReader.BackendResilience limits =
        resilience.read(preset, fields.get("rateLimit"), fields.get("adaptiveLimit"), path);
    if (addr != null && canonical != null && check != null) {
      requireProbeable(addr, check, path + ".addr");
    }
    if (problems.count() > before
        || addr == null
        || canonical == null
        || (arch == null && !discovered)
        || allowEmulated == null
        || maxJobs == null
        || weight == null
        || backup == null) {
      return null;
    }
    try {
      Backend backend =
          new Backend(
              canonical,
              arch == null ? "" : arch.getValue(),
              maxJobs,
              labels,
              weight,
              backup,
              allowEmulated,
              tls);
      if (check != null) {
        healthChecks.put(backend.addr(), check);
      }
      if (breaker != null) {
        circuitBreakers.put(backend.addr(), breaker);
      }
      resilience.keep(backend.addr(), limits);
      return backend;
    } catch (IllegalArgumentException e) {
      // Backend checks what it checks for every caller (a blank label key, say); whatever it
      // refuses that the walk above let through is still the file's problem, so say where.
      problems.add(mapping, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  private static boolean discoversArch(@Nullable HealthCheck check) {
    if (check == null) {
      return false;
    }
    HealthProbe.Factory factory = HealthService.factory(check.type(), Map.of());
    return factory != null && factory.discoversArch();
  }

  /** Refuses an address the built-in probes cannot reach (a unix socket, say). */
  private void requireProbeable(ScalarNode addr, HealthCheck check, String path) {
    if (!check.type().equals(HealthCheck.TCP) && !check.type().equals(HealthCheck.HTTP)) {
      return; // another type's factory judges its addresses when the pool is built
    }
    try {
      ProbeEndpoint.of(addr.getValue(), check.port(), check.type());
    } catch (IllegalArgumentException e) {
      problems.add(addr, path, String.valueOf(e.getMessage()));
    }
  }

  /** The address in canonical form; null when Backend refuses it, which is reported. */
  private @Nullable String canonicalAddr(ScalarNode addr, String path) {
    try {
      return Backend.canonicalAddr(addr.getValue());
    } catch (IllegalArgumentException e) {
      problems.add(addr, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  /** Refuses an arch Backend refuses (white space around it, a control character, too long). */
  private void requireArch(ScalarNode arch, String path) {
    try {
      Backend.discover(ANY_ADDR).withArch(arch.getValue());
    } catch (IllegalArgumentException e) {
      problems.add(arch, path, String.valueOf(e.getMessage()));
    }
  }

  /**
   * Refuses an address given before, in any spelling of it: melange would silently make the two one
   * backend, and the daemon behind it would get the jobs of both.
   */
  private void requireNewAddr(ScalarNode addr, String canonical, String path) {
    Node first = addresses.putIfAbsent(canonical, addr);
    if (first == null) {
      return;
    }
    String shown = YamlValueReader.shown(addr.getValue());
    String firstText = ((ScalarNode) first).getValue();
    if (firstText.equals(addr.getValue())) {
      problems.add(addr, path, "duplicate addr " + shown + " (first at line " + line(first) + ")");
    } else {
      problems.add(
          addr,
          path,
          "duplicate addr "
              + shown
              + ": the same backend as "
              + YamlValueReader.shown(firstText)
              + " at line "
              + line(first)
              + " (scheme and host compare regardless of case)");
    }
  }

  /**
   * Labels in source order. Scalar values are taken as written, so {@code tier: 1} is the label
   * {@code "1"}. An empty {@code labels:} is no labels, as in melange-server.
   */
  private Map<String, String> labels(Node node, String path) {
    if (YamlValueReader.isNull(node)) {
      return Map.of();
    }
    if (!(node instanceof MappingNode mapping)) {
      problems.add(node, path, "must be a mapping, was " + YamlValueReader.describe(node));
      return Map.of();
    }
    if (mapping.getValue().size() > Backend.MAX_LABELS) {
      problems.add(
          node,
          path,
          "labels must be at most " + Backend.MAX_LABELS + ", was " + mapping.getValue().size());
      return Map.of();
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (NodeTuple entry : values.entries(mapping, path)) {
      String key = YamlValueReader.keyText(entry);
      String at = YamlValueReader.child(path, key);
      String value = values.text(entry.getValueNode(), at);
      if (value == null) {
        continue;
      }
      // Backend's checks, one label at a time, the key alone first, so that each problem is
      // located at the key or the value it is about.
      if (labelTaken(entry.getKeyNode(), at, key, "")
          && labelTaken(entry.getValueNode(), at, key, value)) {
        labels.put(key, value);
      }
    }
    return labels;
  }

  /** Whether Backend takes the label; when it does not, that is reported at {@code node}. */
  private boolean labelTaken(Node node, String path, String key, String value) {
    try {
      Backend.discover(ANY_ADDR).withLabels(Map.of(key, value));
      return true;
    } catch (IllegalArgumentException e) {
      problems.add(node, path, String.valueOf(e.getMessage()));
      return false;
    }
  }

  /** An optional count where 0, like an absent key, means the default (melange's convention). */
  private int orDefault(Map<String, Node> fields, String key, int defaultValue, int max) {
    Node node = fields.get(key);
    Integer value = node == null ? null : values.integer(node, key, 0, max);
    return value == null || value == 0 ? defaultValue : value;
  }

  /** From zero (no ramp) to the most the ramp's arithmetic allows. */
  private Duration slowStart(@Nullable Node node) {
    if (node == null) {
      return Duration.ZERO;
    }
    Duration value = values.duration(node, "slowStart");
    if (value == null) {
      return Duration.ZERO;
    }
    if (value.isNegative()) {
      problems.add(node, "slowStart", "must be >= 0, was " + GoDuration.format(value));
    } else if (value.compareTo(PoolSettings.MAX_SLOW_START) > 0) {
      problems.add(
          node,
          "slowStart",
          "must be <= "
              + GoDuration.format(PoolSettings.MAX_SLOW_START)
              + ", was "
              + GoDuration.format(value));
    }
    return value;
  }

  /** Positive: a waiter cannot rise a level for every zero seconds it waits. */
  private Duration priorityAging(@Nullable Node node) {
    if (node == null) {
      return PoolSettings.DEFAULT_PRIORITY_AGING;
    }
    Duration value = values.duration(node, "priorityAging");
    if (value == null) {
      return PoolSettings.DEFAULT_PRIORITY_AGING;
    }
    if (value.isNegative() || value.isZero()) {
      problems.add(node, "priorityAging", "must be > 0, was " + GoDuration.format(value));
    }
    return value;
  }

  private Duration duration(
      Map<String, Node> fields, String key, Duration defaultValue, boolean zeroAllowed) {
    Node node = fields.get(key);
    if (node == null) {
      return defaultValue;
    }
    Duration value = values.duration(node, key);
    if (value == null) {
      return defaultValue;
    }
    if (value.isNegative()) {
      problems.add(node, key, "must be >= 0, was " + GoDuration.format(value));
    } else if (value.isZero() && !zeroAllowed) {
      problems.add(node, key, "must be > 0, was " + GoDuration.format(value));
    }
    return value;
  }

  /**
   * Where each top-level value is, and each backend ({@code backends[i]}, for problems found when
   * the pool is built: a probe that refuses a backend), as {@code line:column}.
   */
  private static Map<String, String> locations(
      Map<String, Node> fields, Map<String, String> backends) {
    Map<String, String> locations = new HashMap<>(backends);
    fields.forEach(
        (key, node) -> node.getStartMark().ifPresent(mark -> locations.put(key, location(mark))));
    return locations;
  }

  private static String location(Mark mark) {
    return (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
  }

  private static int line(Node node) {
    return node.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
  }
}
