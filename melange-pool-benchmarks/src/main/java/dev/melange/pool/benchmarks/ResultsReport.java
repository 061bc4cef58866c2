package dev.melange.pool.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a directory of benchmark results into {@code results-tables.md} and PNG charts for {@code
 * RESULTS.md}.
 *
 * <pre>{@code
 * java -cp melange-pool-benchmarks/target/benchmarks.jar \
 *     dev.melange.pool.benchmarks.ResultsReport <results dir> <output dir>
 * }</pre>
 *
 * <p>The results directory holds JMH's {@code -rf json} files {@code throughput-t1.json}, {@code
 * throughput-t2.json}, {@code strategies.json} and {@code handoff.json}, and the footprint
 * program's {@code footprint.json}. Any of them may be missing: the report skips what it cannot
 * show and says so.
 */
public final class ResultsReport {
  static final String TABLES = "results-tables.md";

  private ResultsReport() {}

  /**
   * Writes the tables and charts.
   *
   * @param args the results directory and the output directory, which is created if need be
   * @throws IllegalArgumentException if the arguments are not two, the results directory does not
   *     exist, or a results file is malformed
   * @throws IOException if a file cannot be read or written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException(
          "usage: ResultsReport <results dir> <output dir>, was " + Arrays.toString(args));
    }
    // Before the first AWT class loads: the charts are drawn on machines without a display.
    System.setProperty("java.awt.headless", "true");
    Path resultsDirectory = Path.of(args[0]);
    Path outputDirectory = Path.of(args[1]);
    if (!Files.isDirectory(resultsDirectory)) {
      throw new IllegalArgumentException(
          "results dir must be a directory, was " + resultsDirectory);
    }
    MeasuredResults results = ResultsReader.read(resultsDirectory);
    Files.createDirectories(outputDirectory);
    Path tables = outputDirectory.resolve(TABLES);
    Files.writeString(tables, ResultsTables.markdown(results), StandardCharsets.UTF_8);
    List<Path> charts = ResultsCharts.write(results, outputDirectory);
    System.out.println("wrote " + tables);
    charts.forEach(chart -> System.out.println("wrote " + chart));
    for (String file :
        List.of(
            ResultsReader.THROUGHPUT_1_THREAD,
            ResultsReader.THROUGHPUT_2_THREADS,
            ResultsReader.STRATEGIES,
            ResultsReader.HANDOFF,
            ResultsReader.FOOTPRINT)) {
      if (results.isMissing(file)) {
        System.out.println("skipped " + file + ": not found or empty in " + resultsDirectory);
      }
    }
  }
}
