package dev.melange.pool.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsReportTest {
  private static final String PACKAGE = "dev.melange.pool.benchmarks.";
  private static final String POOL = "AcquireReleaseBenchmark.melangePool";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  @TempDir Path results;
  @TempDir Path out;

  @Test
  void poolWithinOneAndAHalfLeaseFloorsAndThirtyTwoBytesMeetsTargetA() throws IOException {
    writeThroughput(1, fleet(15, 12, 400, 90, 100));

    String tables = report();

    assertThat(line(section(tables, "Round trip"), "| melange-pool (least-loaded) |"))
        .contains("| 15.0 | 32 |", "1.25×");
    assertThat(line(tables, "| (a)")).contains("15.0 ns ÷ 12.0 ns = 1.25×", "32 B/op", "| met |");
  }

  @Test
  void poolAtTwentyNanosAgainstATwelveNanosFloorMissesTargetA() throws IOException {
    writeThroughput(1, fleet(20, 12, 400, 90, 100));

    String tables = report();

    assertThat(line(section(tables, "Round trip"), "| melange-pool (least-loaded) |"))
        .contains("1.67×");
    assertThat(line(tables, "| (a)")).contains("= 1.67×", "| NOT met |");
  }

  @Test
  void allocatingMoreThanThirtyTwoBytesMissesTargetAWhateverTheTime() throws IOException {
    JsonArray fleet = fleet(15, 12, 400, 90, 100);
    fleet.get(0).getAsJsonObject().add("secondaryMetrics", allocation("gc.alloc.rate.norm", 48));
    writeThroughput(1, fleet);

    assertThat(line(report(), "| (a)")).contains("= 1.25×", "48 B/op", "| NOT met |");
  }

  @Test
  void referencesAreComparedAsTheirTimeOverMelangePoolsTime() throws IOException {
    writeThroughput(1, fleet(15, 12, 400, 60, 90));
    writeThroughput(2, fleet(30, 24, 300, 180, 120));

    String tables = report();

    assertThat(line(section(tables, "Round trip"), "| melange-server port |"))
        .contains("| 26.7× | 10.0× |");
    assertThat(line(section(tables, "Round trip"), "| Resilience4j |"))
        .contains("| 4.00× | 6.00× |");
    assertThat(line(tables, "| (b) ≥ 20× faster than melange-server port, 16 backends, 1 thread"))
        .contains("400.0 ns ÷ 15.0 ns = 26.7×", "| met |");
    assertThat(line(tables, "| (b) ≥ 20× faster than melange-server port, 16 backends, 2 threads"))
        .contains("300.0 ns ÷ 30.0 ns = 10.0×", "| NOT met |");
    assertThat(line(tables, "| (c) ≥ 5× faster than Resilience4j, 16 backends, 1 thread"))
        .contains("= 4.00×", "| NOT met |");
    assertThat(line(tables, "| (c) ≥ 5× faster than Failsafe, 16 backends, 2 threads"))
        .contains("120.0 ns ÷ 30.0 ns = 4.00×", "| NOT met |");
    assertThat(line(tables, "| (c) ≥ 5× faster than Failsafe, 16 backends, 1 thread"))
        .contains("= 6.00×", "| met |");
  }

  @Test
  void scaleTableHasOneColumnPerFleetSizeAndTargetDReadsTenThousandBackends() throws IOException {
    JsonArray rows = new JsonArray();
    rows.add(result(POOL, Map.of("backends", "1", "strategy", "least-loaded"), 1, 14, "ns/op"));
    rows.add(result(POOL, Map.of("backends", "16", "strategy", "least-loaded"), 1, 15, "ns/op"));
    rows.add(
        result(POOL, Map.of("backends", "10000", "strategy", "least-loaded"), 1, 9_500, "ns/op"));
    writeThroughput(1, rows);
    writeThroughput(
        2,
        array(
            result(
                POOL,
                Map.of("backends", "10000", "strategy", "least-loaded"),
                2,
                12_000,
                "ns/op")));

    String tables = report();

    assertThat(tables)
        .contains("| Implementation | Threads | 1 backend | 16 backends | 10,000 backends |");
    assertThat(line(tables, "| melange-pool (least-loaded) | 1 |"))
        .contains("| 14.0 | 15.0 | 9,500 |");
    assertThat(line(tables, "| (d)")).contains("9,500 ns; 2 threads: 12,000 ns", "| met |");
  }

  @Test
  void scoresInMicrosecondsAreConvertedToNanoseconds() throws IOException {
    JsonArray rows = fleet(15, 12, 400, 90, 100);
    rows.set(
        0, result(POOL, Map.of("backends", "16", "strategy", "least-loaded"), 1, 0.015, "us/op"));
    rows.add(
        result(POOL, Map.of("backends", "10000", "strategy", "least-loaded"), 1, 11.0, "us/op"));
    writeThroughput(1, rows);

    String tables = report();

    assertThat(line(tables, "| (a)")).contains("15.0 ns ÷ 12.0 ns = 1.25×", "| met |");
    assertThat(line(tables, "| (d)")).contains("11,000 ns", "| NOT met |");
  }

  @Test
  void strategiesTableHasEachStrategyAtSixteenAndTenThousandBackendsAndTheirRatio()
      throws IOException {
    JsonArray rows =
        array(
            strategy("least-loaded", 16, 12),
            strategy("least-loaded", 10_000, 13),
            strategy("power-of-two", 16, 20),
            strategy("power-of-two", 10_000, 25),
            strategy("affinity", 16, 30),
            strategy("affinity", 10_000, 60),
            strategy("power-of-two", 256, 22));
    rows.get(5).getAsJsonObject().add("secondaryMetrics", allocation("gc.alloc.rate.norm", 88));
    writeJson("strategies.json", rows);

    String strategies = section(report(), "Strategies");

    assertThat(strategies)
        .contains(
            "| Strategy | 16 backends: ns/op | 16 backends: B/op | 10,000 backends: ns/op |"
                + " 10,000 backends: B/op | 10,000 ÷ 16 |");
    assertThat(line(strategies, "| power-of-two |"))
        .isEqualTo("| power-of-two | 20.0 | 32 | 25.0 | 32 | 1.25× |");
    assertThat(line(strategies, "| affinity |"))
        .isEqualTo("| affinity | 30.0 | 32 | 60.0 | 88 | 2.00× |");
    assertThat(line(strategies, "| least-loaded |")).endsWith("| 1.08× |");
    // Every built-in strategy has a row, measured or not, in the builder's order.
    assertThat(line(strategies, "| round-robin |"))
        .isEqualTo("| round-robin | — | — | — | — | — |");
    assertThat(strategies.indexOf("| peak-ewma |")).isLessThan(strategies.indexOf("| affinity |"));
  }

  @Test
  void powerOfTwoAndAffinityMeetTargetGOnlyWithinOneAndAHalfTimesTheirCostAtSixteen()
      throws IOException {
    writeJson(
        "strategies.json",
        array(
            strategy("power-of-two", 16, 20),
            strategy("power-of-two", 10_000, 30),
            strategy("affinity", 16, 30),
            strategy("affinity", 10_000, 46)));

    String tables = report();

    assertThat(
            line(
                tables,
                "| (g) melange-pool (power-of-two), 1 thread: at 10,000 backends ≤ 1.5× its cost at"
                    + " 16 backends |"))
        .contains("30.0 ns ÷ 20.0 ns = 1.50×", "| met |");
    assertThat(line(tables, "| (g) melange-pool (affinity)"))
        .contains("46.0 ns ÷ 30.0 ns = 1.53×", "| NOT met |");
  }

  @Test
  void targetGIsNotMeasuredWithoutBothFleetSizes() throws IOException {
    writeJson("strategies.json", array(strategy("power-of-two", 16, 20)));

    String tables = report();

    assertThat(line(tables, "| (g) melange-pool (power-of-two)"))
        .contains("power-of-two at 10,000 backends not measured")
        .endsWith("| not measured |");
    assertThat(line(tables, "| (g) melange-pool (affinity)"))
        .contains("affinity at 10,000 backends not measured")
        .endsWith("| not measured |");
  }

  @Test
  void theStrategiesRunLeavesTheRoundTripScaleAndLeastLoadedTargetsToTheThroughputFiles()
      throws IOException {
    JsonArray fleet = fleet(15, 12, 400, 90, 100);
    fleet.add(
        result(POOL, Map.of("backends", "10000", "strategy", "least-loaded"), 1, 9_500, "ns/op"));
    writeThroughput(1, fleet);
    writeJson(
        "strategies.json",
        array(
            strategy("least-loaded", 16, 99),
            strategy("least-loaded", 10_000, 20_000),
            strategy("power-of-two", 16, 20)));

    String tables = report();

    assertThat(line(section(tables, "Round trip"), "| melange-pool (least-loaded) |"))
        .startsWith("| melange-pool (least-loaded) | 15.0 |");
    assertThat(section(tables, "Round trip")).doesNotContain("power-of-two");
    assertThat(section(tables, "Scale")).doesNotContain("power-of-two");
    assertThat(line(tables, "| (a)")).contains("15.0 ns ÷ 12.0 ns");
    assertThat(line(tables, "| (d)")).contains("9,500 ns", "| met |");
    assertThat(line(section(tables, "Strategies"), "| least-loaded |"))
        .startsWith("| least-loaded | 99.0 |");
  }

  @Test
  void handoffPercentilesInMicrosecondsAreTabulatedAndTheMedianIsChecked() throws IOException {
    writeJson("handoff.json", array(handoff("us/op", 12.5, 30, 80, 400, 2_500)));

    String tables = report();

    assertThat(line(tables, "| HandoffBenchmark.handoff |"))
        .isEqualTo("| HandoffBenchmark.handoff | 12.5 | 30.0 | 80.0 | 400.0 | 2,500 |");
    assertThat(tables).contains("melange-server polls", "1,000,000 µs", "~500,000 µs on average");
    assertThat(line(tables, "| (e)")).contains("p50 = 12.5 µs", "| met |");
  }

  @Test
  void handoffPercentilesInNanosecondsAreConvertedToMicroseconds() throws IOException {
    writeJson("handoff.json", array(handoff("ns/op", 150_000, 200_000, 300_000, 400_000, 900_000)));

    String tables = report();

    assertThat(line(tables, "| HandoffBenchmark.handoff |")).contains("| 150.0 | 200.0 |");
    assertThat(line(tables, "| (e)")).contains("p50 = 150.0 µs", "| NOT met |");
  }

  @Test
  void footprintTargetTakesTheLargerOfTheAverageAndTheMarginalCost() throws IOException {
    writeFootprint(430, 600);

    String tables = report();

    assertThat(line(tables, "| 10,000 |")).isEqualTo("| 10,000 | 4,300,000 | 430.0 |");
    assertThat(tables).contains("Marginal cost of one more backend: 600.0 B.");
    assertThat(line(tables, "| (f)"))
        .contains("max(430.0 B at 10,000, 600.0 B marginal) = 600.0 B", "| NOT met |");
  }

  @Test
  void footprintWithinFiveHundredTwelveBytesMeetsTargetF() throws IOException {
    writeFootprint(430, 410);

    assertThat(line(report(), "| (f)")).contains("= 430.0 B", "| met |");
  }

  @Test
  void missingFilesAreSkippedWithANoteAndTheirTargetsAreNotMeasured() throws IOException {
    String tables = report();

    assertThat(tables)
        .contains("_Skipped: neither throughput-t1.json nor throughput-t2.json was found")
        .contains("_Skipped: strategies.json was not found")
        .contains("_Skipped: handoff.json was not found")
        .contains("_Skipped: footprint.json was not found");
    assertThat(line(tables, "| (a)")).endsWith("| not measured |");
    assertThat(line(tables, "| (f)")).endsWith("| not measured |");
    assertThat(line(tables, "| (g) melange-pool (affinity)")).endsWith("| not measured |");
    assertThat(tables).doesNotContain("| met |", "NOT met");
    assertThat(out.resolve("round-trip-16.png")).doesNotExist();
    assertThat(out.resolve("handoff.png")).doesNotExist();
  }

  @Test
  void aMissingTwoThreadFileLeavesItsColumnsEmptyAndSaysSo() throws IOException {
    writeThroughput(1, fleet(15, 12, 400, 90, 100));

    String tables = report();

    assertThat(tables).contains("_throughput-t2.json was not found: its columns are empty._");
    assertThat(line(tables, "| lease floor |")).startsWith("| lease floor | 12.0 | 24 | — | — |");
    assertThat(line(tables, "| (b) ≥ 20× faster than melange-server port, 16 backends, 2 threads"))
        .endsWith("| not measured |");
  }

  @Test
  void chartsAreWrittenAsPngsOfTheAdvertisedSize() throws IOException {
    writeThroughput(1, fleet(15, 12, 4_000, 90, 100));
    writeThroughput(2, fleet(30, 24, 8_000, 180, 200));
    writeJson("handoff.json", array(handoff("us/op", 12.5, 30, 80, 400, 2_500)));

    report();

    for (String chart : List.of("round-trip-16.png", "scale.png", "handoff.png")) {
      BufferedImage image = ImageIO.read(out.resolve(chart).toFile());
      assertThat(image).as(chart).isNotNull();
      assertThat(image.getWidth()).as(chart).isEqualTo(ResultsCharts.WIDTH);
      assertThat(image.getHeight()).as(chart).isEqualTo(ResultsCharts.HEIGHT);
    }
  }

  @Test
  void chartsLeaveAGapWhereAResultIsMissing() throws IOException {
    writeThroughput(1, fleet(15, 12, 4_000, 90, 100));
    writeThroughput(
        2,
        array(result(POOL, Map.of("backends", "16", "strategy", "least-loaded"), 2, 30, "ns/op")));
    JsonObject handoff = handoff("us/op", 12.5, 30, 80, 400, 2_500);
    handoff.getAsJsonObject("primaryMetric").getAsJsonObject("scorePercentiles").remove("99.9");
    writeJson("handoff.json", array(handoff));

    String tables = report();

    assertThat(line(tables, "| HandoffBenchmark.handoff |")).contains("| 80.0 | — | 2,500 |");
    for (String chart : List.of("round-trip-16.png", "scale.png", "handoff.png")) {
      assertThat(ImageIO.read(out.resolve(chart).toFile())).as(chart).isNotNull();
    }
  }

  @Test
  void allocationUnderTheOldMiddleDotKeyIsRead() throws IOException {
    JsonArray fleet = fleet(15, 12, 400, 90, 100);
    fleet
        .get(0)
        .getAsJsonObject()
        .add("secondaryMetrics", allocation("\u00b7gc.alloc.rate.norm", 24));
    writeThroughput(1, fleet);

    assertThat(line(report(), "| (a)")).contains("24 B/op", "| met |");
  }

  @Test
  void aMalformedFileIsRefusedNamingIt() throws IOException {
    Files.writeString(results.resolve("handoff.json"), "{\"not\": \"an array\"}");

    assertThatIllegalArgumentException()
        .isThrownBy(this::report)
        .withMessageContaining("handoff.json")
        .withMessageContaining("JMH");
  }

  // --- JMH-shaped input, copied from a real `-rf json -prof gc` file ---

  /** The round trip at 16 backends of the pool, the floors and the references, in ns/op. */
  private static JsonArray fleet(
      double pool, double leaseFloor, double port, double resilience4j, double failsafe) {
    Map<String, String> sixteen = Map.of("backends", "16");
    JsonObject floor = result("FloorBenchmark.leaseFloor", null, 1, leaseFloor, "ns/op");
    floor.add("secondaryMetrics", allocation("gc.alloc.rate.norm", 24));
    return array(
        result(POOL, Map.of("backends", "16", "strategy", "least-loaded"), 1, pool, "ns/op"),
        floor,
        result("FloorBenchmark.bareFloor", null, 1, 4, "ns/op"),
        result("ReferenceBenchmark.melangeServerPort", sixteen, 1, port, "ns/op"),
        result("ReferenceBenchmark.resilience4j", sixteen, 1, resilience4j, "ns/op"),
        result("ReferenceBenchmark.failsafe", sixteen, 1, failsafe, "ns/op"));
  }

  /** A row of the strategies run: the pool with one strategy, 1 thread, in ns/op. */
  private static JsonObject strategy(String strategy, long backends, double nanos) {
    return result(
        POOL,
        Map.of("backends", String.valueOf(backends), "strategy", strategy),
        1,
        nanos,
        "ns/op");
  }

  private static JsonObject result(
      String benchmark,
      @Nullable Map<String, String> params,
      int threads,
      double score,
      String unit) {
    JsonObject json = new JsonObject();
    json.addProperty("jmhVersion", "1.37");
    json.addProperty("benchmark", PACKAGE + benchmark);
    json.addProperty("mode", "avgt");
    json.addProperty("threads", threads);
    json.addProperty("forks", 1);
    if (params != null) {
      JsonObject paramsJson = new JsonObject();
      params.forEach(paramsJson::addProperty);
      json.add("params", paramsJson);
    }
    JsonObject primary = new JsonObject();
    primary.addProperty("score", score);
    primary.addProperty("scoreError", "NaN"); // as JMH writes it after a single iteration
    primary.add("scorePercentiles", percentiles(score, score, score, score, score));
    primary.addProperty("scoreUnit", unit);
    json.add("primaryMetric", primary);
    // gc.alloc.rate.norm as JMH measures it: a hair above the true 32 bytes
    json.add("secondaryMetrics", allocation("gc.alloc.rate.norm", 32.00011277572574));
    return json;
  }

  private static JsonObject handoff(
      String unit, double p50, double p90, double p99, double p999, double max) {
    JsonObject json = result("HandoffBenchmark.handoff", null, 2, p50, unit);
    json.addProperty("mode", "sample");
    json.getAsJsonObject("primaryMetric")
        .add("scorePercentiles", percentiles(p50, p90, p99, p999, max));
    json.remove("secondaryMetrics");
    return json;
  }

  private static JsonObject percentiles(
      double p50, double p90, double p99, double p999, double max) {
    JsonObject json = new JsonObject();
    json.addProperty("0.0", p50 / 2);
    json.addProperty("50.0", p50);
    json.addProperty("90.0", p90);
    json.addProperty("95.0", p90);
    json.addProperty("99.0", p99);
    json.addProperty("99.9", p999);
    json.addProperty("99.99", max);
    json.addProperty("100.0", max);
    return json;
  }

  private static JsonObject allocation(String key, double bytesPerOp) {
    JsonObject metric = new JsonObject();
    metric.addProperty("score", bytesPerOp);
    metric.addProperty("scoreError", "NaN");
    metric.addProperty("scoreUnit", "B/op");
    JsonObject metrics = new JsonObject();
    metrics.add(key, metric);
    return metrics;
  }

  private static JsonArray array(JsonObject... results) {
    JsonArray array = new JsonArray();
    for (JsonObject result : results) {
      array.add(result);
    }
    return array;
  }

  /** Writes a throughput file, stamping every result with the file's thread count. */
  private void writeThroughput(int threads, JsonArray rows) throws IOException {
    rows.forEach(row -> row.getAsJsonObject().addProperty("threads", threads));
    writeJson("throughput-t" + threads + ".json", rows);
  }

  private void writeFootprint(double bytesPerBackendAtTenThousand, double marginal)
      throws IOException {
    JsonObject footprint = new JsonObject();
    JsonArray rows = new JsonArray();
    for (long backends : new long[] {1_000, 10_000}) {
      JsonObject row = new JsonObject();
      row.addProperty("backends", backends);
      row.addProperty("totalBytes", Math.round(backends * bytesPerBackendAtTenThousand));
      row.addProperty("bytesPerBackend", bytesPerBackendAtTenThousand);
      rows.add(row);
    }
    footprint.add("rows", rows);
    footprint.addProperty("marginalBytesPerBackend", marginal);
    writeJson("footprint.json", footprint);
  }

  private void writeJson(String file, Object json) throws IOException {
    Files.writeString(results.resolve(file), GSON.toJson(json), StandardCharsets.UTF_8);
  }

  private String report() throws IOException {
    ResultsReport.main(new String[] {results.toString(), out.toString()});
    return Files.readString(out.resolve("results-tables.md"), StandardCharsets.UTF_8);
  }

  /** The text of one {@code ## } section of the tables. */
  private static String section(String tables, String heading) {
    int start = tables.indexOf("\n## " + heading);
    assertThat(start).as("section %s in%n%s", heading, tables).isNotNegative();
    int end = tables.indexOf("\n## ", start + 1);
    return end < 0 ? tables.substring(start) : tables.substring(start, end);
  }

  /** The one line of the tables that starts with {@code prefix}. */
  private static String line(String tables, String prefix) {
    List<String> lines = new ArrayList<>();
    tables.lines().filter(line -> line.startsWith(prefix)).forEach(lines::add);
    assertThat(lines).as("lines starting with %s in%n%s", prefix, tables).hasSize(1);
    return lines.get(0);
  }
}
