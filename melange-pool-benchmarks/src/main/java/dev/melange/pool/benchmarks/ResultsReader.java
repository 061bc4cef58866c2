package dev.melange.pool.benchmarks;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads a results directory: JMH's {@code -rf json} files and the footprint program's file. A
 * missing or empty file is recorded, not an error; a malformed one is.
 */
final class ResultsReader {
  static final String THROUGHPUT_1_THREAD = "throughput-t1.json";
  static final String THROUGHPUT_2_THREADS = "throughput-t2.json";
  static final String STRATEGIES = "strategies.json";
  static final String HANDOFF = "handoff.json";
  static final String FOOTPRINT = "footprint.json";

  /** JMH before 1.37 prefixed the profilers' metrics with a middle dot: {@code ·gc.alloc.rate}. */
  private static final String OLD_METRIC_PREFIX = "\u00b7";

  private static final String ALLOCATION_METRIC = "gc.alloc.rate.norm";

  private ResultsReader() {}

  /**
   * Reads every input the report knows from {@code directory}.
   *
   * @throws IOException if a file exists but cannot be read
   * @throws IllegalArgumentException if a file is not the JSON its name promises
   */
  static MeasuredResults read(Path directory) throws IOException {
    Set<String> missing = new HashSet<>();
    List<BenchmarkResult> throughput = new ArrayList<>();
    for (String file : List.of(THROUGHPUT_1_THREAD, THROUGHPUT_2_THREADS)) {
      throughput.addAll(readJmh(directory.resolve(file), missing));
    }
    List<BenchmarkResult> strategies = readJmh(directory.resolve(STRATEGIES), missing);
    List<BenchmarkResult> handoff = readJmh(directory.resolve(HANDOFF), missing);
    Footprint footprint = readFootprint(directory.resolve(FOOTPRINT), missing);
    return new MeasuredResults(throughput, strategies, handoff, footprint, missing);
  }

  private static List<BenchmarkResult> readJmh(Path file, Set<String> missing) throws IOException {
    JsonElement root = parse(file, missing);
    List<BenchmarkResult> results = new ArrayList<>();
    if (root == null) {
      return results;
    }
    try {
      for (JsonElement element : root.getAsJsonArray()) {
        results.add(toResult(element.getAsJsonObject()));
      }
    } catch (IllegalStateException | IllegalArgumentException | UnsupportedOperationException e) {
      throw malformed(file, "a JMH -rf json array of results", e);
    }
    if (results.isEmpty()) {
      missing.add(String.valueOf(file.getFileName()));
    }
    return results;
  }

  private static BenchmarkResult toResult(JsonObject json) {
    JsonObject primary = field(json, "primaryMetric").getAsJsonObject();
    Map<String, String> params = new HashMap<>();
    if (json.has("params")) {
      json.getAsJsonObject("params")
          .entrySet()
          .forEach(param -> params.put(param.getKey(), param.getValue().getAsString()));
    }
    Map<Double, Double> percentiles = new HashMap<>();
    if (primary.has("scorePercentiles")) {
      primary
          .getAsJsonObject("scorePercentiles")
          .entrySet()
          .forEach(p -> percentiles.put(Double.valueOf(p.getKey()), p.getValue().getAsDouble()));
    }
    return new BenchmarkResult(
        shortName(field(json, "benchmark").getAsString()),
        params,
        field(json, "threads").getAsInt(),
        field(primary, "score").getAsDouble(),
        field(primary, "scoreError").getAsDouble(), // JMH writes "NaN" as a string; Gson parses it
        field(primary, "scoreUnit").getAsString(),
        allocation(json),
        percentiles);
  }

  /**
   * {@code dev.melange.pool.benchmarks.FloorBenchmark.leaseFloor} to {@code
   * FloorBenchmark.leaseFloor}.
   */
  static String shortName(String benchmark) {
    int method = benchmark.lastIndexOf('.');
    return benchmark.substring(benchmark.lastIndexOf('.', method - 1) + 1);
  }

  private static @Nullable Double allocation(JsonObject json) {
    if (!json.has("secondaryMetrics")) {
      return null;
    }
    for (Map.Entry<String, JsonElement> metric :
        json.getAsJsonObject("secondaryMetrics").entrySet()) {
      String name = metric.getKey();
      if (name.startsWith(OLD_METRIC_PREFIX)) {
        name = name.substring(OLD_METRIC_PREFIX.length());
      }
      if (name.equals(ALLOCATION_METRIC)) {
        return field(metric.getValue().getAsJsonObject(), "score").getAsDouble();
      }
    }
    return null;
  }

  private static @Nullable Footprint readFootprint(Path file, Set<String> missing)
      throws IOException {
    JsonElement root = parse(file, missing);
    if (root == null) {
      return null;
    }
    try {
      JsonObject json = root.getAsJsonObject();
      List<Footprint.Row> rows = new ArrayList<>();
      for (JsonElement element : field(json, "rows").getAsJsonArray()) {
        JsonObject row = element.getAsJsonObject();
        rows.add(
            new Footprint.Row(
                field(row, "backends").getAsLong(),
                field(row, "totalBytes").getAsLong(),
                field(row, "bytesPerBackend").getAsDouble()));
      }
      JsonElement marginal = json.get("marginalBytesPerBackend");
      return new Footprint(
          rows, marginal == null || marginal.isJsonNull() ? null : marginal.getAsDouble());
    } catch (IllegalStateException | IllegalArgumentException | UnsupportedOperationException e) {
      throw malformed(file, "{\"rows\": [...], \"marginalBytesPerBackend\": ...}", e);
    }
  }

  /** The file's JSON, or null (and the file noted as missing) if it is absent or empty. */
  private static @Nullable JsonElement parse(Path file, Set<String> missing) throws IOException {
    if (!Files.isRegularFile(file)) {
      missing.add(String.valueOf(file.getFileName()));
      return null;
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      JsonElement root = JsonParser.parseReader(reader);
      if (root.isJsonNull()) {
        missing.add(String.valueOf(file.getFileName()));
        return null;
      }
      return root;
    } catch (JsonParseException e) {
      throw malformed(file, "JSON", e);
    }
  }

  private static JsonElement field(JsonObject json, String name) {
    JsonElement value = json.get(name);
    if (value == null || value.isJsonNull()) {
      throw new IllegalArgumentException("missing field " + name);
    }
    return value;
  }

  private static IllegalArgumentException malformed(Path file, String expected, Exception cause) {
    return new IllegalArgumentException(
        file + " is not " + expected + ": " + cause.getMessage(), cause);
  }
}
