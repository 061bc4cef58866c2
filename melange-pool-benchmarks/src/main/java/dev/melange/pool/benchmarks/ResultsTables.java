package dev.melange.pool.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Writes {@code results-tables.md}: the round trip at 16 backends, its scaling with the fleet, each
 * strategy at 16 and 10,000 backends, the hand-off latency, the footprint and the targets, as
 * Markdown tables. A section whose input file is missing says so instead of printing an empty
 * table.
 */
final class ResultsTables {
  /** melange-server's poll interval: a freed backend waits up to this long for its next job. */
  static final double MELANGE_SERVER_POLL_MICROS = 1_000_000;

  private static final long BACKENDS = MeasuredResults.ROUND_TRIP_BACKENDS;
  private static final List<Integer> THREADS = MeasuredResults.THREAD_COUNTS;

  private ResultsTables() {}

  /** The whole Markdown document. */
  static String markdown(MeasuredResults results) {
    StringBuilder out = new StringBuilder("# melange-pool benchmark results\n");
    roundTrip(results, out);
    scale(results, out);
    strategies(results, out);
    handoff(results, out);
    footprint(results, out);
    targets(results, out);
    return out.toString();
  }

  private static void roundTrip(MeasuredResults results, StringBuilder out) {
    out.append("\n## Round trip at ").append(BACKENDS).append(" backends\n\n");
    if (!throughputNotes(results, out)) {
      return;
    }
    List<String> header = new ArrayList<>(List.of("Implementation"));
    for (int threads : THREADS) {
      header.add(Figures.threads(threads) + ": ns/op");
      header.add(Figures.threads(threads) + ": B/op");
    }
    THREADS.forEach(threads -> header.add("ratio to lease floor, " + Figures.threads(threads)));
    THREADS.forEach(
        threads -> header.add("melange-pool is N× faster, " + Figures.threads(threads)));
    List<List<String>> rows = new ArrayList<>();
    for (Implementation implementation : results.roundTripImplementations()) {
      rows.add(roundTripRow(implementation, results));
    }
    table(header, rows, out);
    out.append(
        "\nns/op ± the 99.9% confidence half-width; B/op is JMH's gc.alloc.rate.norm in whole"
            + " bytes. \"ratio to lease floor\" is ns/op ÷ the lease floor's ns/op; \"melange-pool is N×"
            + " faster\" is the reference's ns/op ÷ melange-pool (least-loaded)'s ns/op.\n");
  }

  private static List<String> roundTripRow(Implementation implementation, MeasuredResults results) {
    List<String> row = new ArrayList<>(List.of(implementation.label()));
    for (int threads : THREADS) {
      BenchmarkResult result = results.find(implementation, BACKENDS, threads);
      row.add(
          result == null
              ? Figures.NOT_MEASURED
              : Figures.withError(result.nanosPerOp(), result.errorNanos()));
      row.add(result == null ? Figures.NOT_MEASURED : bytes(result.bytesPerOp()));
    }
    for (int threads : THREADS) {
      Double nanos = results.nanosPerOp(implementation, BACKENDS, threads);
      Double floor = results.nanosPerOp(Implementation.LEASE_FLOOR, BACKENDS, threads);
      row.add(
          Figures.ratio(
              nanos == null || floor == null ? null : Ratios.timesLeaseFloor(nanos, floor)));
    }
    boolean isReference = MeasuredResults.references().contains(implementation);
    for (int threads : THREADS) {
      Double nanos = results.nanosPerOp(implementation, BACKENDS, threads);
      Double pool = results.nanosPerOp(MeasuredResults.referencePool(), BACKENDS, threads);
      row.add(
          !isReference
              ? ""
              : Figures.ratio(
                  nanos == null || pool == null ? null : Ratios.timesFaster(pool, nanos)));
    }
    return row;
  }

  private static void scale(MeasuredResults results, StringBuilder out) {
    out.append("\n## Scale\n\n");
    if (!throughputNotes(results, out)) {
      return;
    }
    SortedSet<Long> counts = results.backendCounts();
    List<String> header = new ArrayList<>(List.of("Implementation", "Threads"));
    counts.forEach(backends -> header.add(Figures.backends(backends)));
    List<List<String>> rows = new ArrayList<>();
    for (Implementation implementation : results.scalingImplementations()) {
      for (int threads : THREADS) {
        List<String> row =
            new ArrayList<>(List.of(implementation.label(), String.valueOf(threads)));
        counts.forEach(
            backends ->
                row.add(Figures.number(results.nanosPerOp(implementation, backends, threads))));
        rows.add(row);
      }
    }
    table(header, rows, out);
    out.append("\nns/op per round trip, by the number of backends in the pool.\n");
  }

  private static void strategies(MeasuredResults results, StringBuilder out) {
    out.append("\n## Strategies\n\n");
    if (results.strategies().isEmpty()) {
      skipped(ResultsReader.STRATEGIES, out);
      return;
    }
    List<Long> fleets = List.of(BACKENDS, Targets.LARGE_FLEET);
    List<String> header = new ArrayList<>(List.of("Strategy"));
    for (long backends : fleets) {
      header.add(Figures.backends(backends) + ": ns/op");
      header.add(Figures.backends(backends) + ": B/op");
    }
    header.add(Figures.count(Targets.LARGE_FLEET) + " ÷ " + Figures.count(BACKENDS));
    List<List<String>> rows = new ArrayList<>();
    for (String strategy : results.strategyNames()) {
      List<String> row = new ArrayList<>(List.of(strategy));
      for (long backends : fleets) {
        BenchmarkResult result = results.findStrategy(strategy, backends);
        row.add(
            result == null
                ? Figures.NOT_MEASURED
                : Figures.withError(result.nanosPerOp(), result.errorNanos()));
        row.add(result == null ? Figures.NOT_MEASURED : bytes(result.bytesPerOp()));
      }
      BenchmarkResult small = results.findStrategy(strategy, BACKENDS);
      BenchmarkResult large = results.findStrategy(strategy, Targets.LARGE_FLEET);
      row.add(
          Figures.ratio(
              small == null || large == null
                  ? null
                  : Ratios.timesSmallFleet(large.nanosPerOp(), small.nanosPerOp())));
      rows.add(row);
    }
    table(header, rows, out);
    out.append("\nThe round trip of melange-pool with each strategy, 1 thread, from ")
        .append(ResultsReader.STRATEGIES)
        .append(" (a run with fewer forks than the tables above, so least-loaded's figures may")
        .append(" differ from theirs a little). affinity is least-loaded with an affinity key per")
        .append(" acquire, cycling through ")
        .append(Figures.count(AcquireReleaseBenchmark.AFFINITY_KEYS))
        .append(" keys. The last column is the cost at ")
        .append(Figures.backends(Targets.LARGE_FLEET))
        .append(" ÷ the cost at ")
        .append(Figures.backends(BACKENDS))
        .append(": 1.00× means flat.\n");
  }

  private static void handoff(MeasuredResults results, StringBuilder out) {
    out.append("\n## Hand-off latency\n\n");
    if (results.handoff().isEmpty()) {
      skipped(ResultsReader.HANDOFF, out);
      return;
    }
    List<String> header = new ArrayList<>(List.of("Benchmark"));
    for (HandoffPercentile p : HandoffPercentile.values()) {
      header.add(p.label + " (µs)");
    }
    List<List<String>> rows = new ArrayList<>();
    for (BenchmarkResult result : results.handoff()) {
      List<String> row = new ArrayList<>(List.of(result.benchmark() + paramsSuffix(result)));
      for (HandoffPercentile p : HandoffPercentile.values()) {
        row.add(Figures.number(result.percentileMicros(p.percentile)));
      }
      rows.add(row);
    }
    table(header, rows, out);
    out.append(
            "\nFrom a backend's release to the waiting acquirer's return, in µs. For comparison,")
        .append(" melange-server polls for a free backend every 1 s, so it hands off after up to ")
        .append(Figures.count((long) MELANGE_SERVER_POLL_MICROS))
        .append(" µs, ~")
        .append(Figures.count((long) (MELANGE_SERVER_POLL_MICROS / 2)))
        .append(" µs on average.\n");
  }

  private static void footprint(MeasuredResults results, StringBuilder out) {
    out.append("\n## Footprint\n\n");
    Footprint footprint = results.footprint();
    if (footprint == null) {
      skipped(ResultsReader.FOOTPRINT, out);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (Footprint.Row row : footprint.rows()) {
      rows.add(
          List.of(
              Figures.count(row.backends()),
              Figures.count(row.totalBytes()),
              Figures.number(row.bytesPerBackend())));
    }
    table(List.of("Backends", "Total bytes", "Bytes per backend"), rows, out);
    out.append("\nMarginal cost of one more backend: ")
        .append(Figures.number(footprint.marginalBytesPerBackend()))
        .append(" B.\n");
  }

  private static void targets(MeasuredResults results, StringBuilder out) {
    out.append("\n## Targets\n\n");
    List<List<String>> rows = new ArrayList<>();
    for (Targets.Check check : Targets.check(results)) {
      rows.add(List.of(check.target(), check.figure(), check.outcome().text));
    }
    table(List.of("Target", "Figure", "Verdict"), 3, rows, out);
  }

  /** Notes a missing throughput file; returns whether there is anything left to tabulate. */
  private static boolean throughputNotes(MeasuredResults results, StringBuilder out) {
    if (results.throughput().isEmpty()) {
      out.append("_Skipped: neither ")
          .append(ResultsReader.THROUGHPUT_1_THREAD)
          .append(" nor ")
          .append(ResultsReader.THROUGHPUT_2_THREADS)
          .append(" was found in the results directory._\n");
      return false;
    }
    for (String file :
        List.of(ResultsReader.THROUGHPUT_1_THREAD, ResultsReader.THROUGHPUT_2_THREADS)) {
      if (results.isMissing(file)) {
        out.append("_").append(file).append(" was not found: its columns are empty._\n\n");
      }
    }
    return true;
  }

  private static void skipped(String file, StringBuilder out) {
    out.append("_Skipped: ").append(file).append(" was not found in the results directory._\n");
  }

  /** A Markdown table: the first column left-aligned, the figures right-aligned. */
  private static void table(
      List<String> header, List<? extends List<String>> rows, StringBuilder out) {
    table(header, 1, rows, out);
  }

  /** A Markdown table: the first {@code textColumns} left-aligned, the rest right-aligned. */
  private static void table(
      List<String> header, int textColumns, List<? extends List<String>> rows, StringBuilder out) {
    out.append("| ").append(String.join(" | ", header)).append(" |\n");
    out.append("|---".repeat(textColumns));
    out.append("|---:".repeat(header.size() - textColumns)).append("|\n");
    for (List<String> row : rows) {
      out.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
  }

  private static String bytes(@Nullable Double bytesPerOp) {
    return bytesPerOp == null ? Figures.NOT_MEASURED : String.valueOf(Math.round(bytesPerOp));
  }

  private static String paramsSuffix(BenchmarkResult result) {
    return result.params().isEmpty() ? "" : " " + new TreeMap<>(result.params());
  }
}
