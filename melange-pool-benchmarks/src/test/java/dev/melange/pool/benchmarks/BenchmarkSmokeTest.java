package dev.melange.pool.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Every benchmark, with every parameter, for one short iteration in this JVM, so that none of them
 * rots between full runs. The numbers mean nothing here; that each one runs and yields a finite
 * score does.
 */
class BenchmarkSmokeTest {
  @TempDir Path dir;

  @Test
  void everyBenchmarkRunsOnceWithEveryParameter() throws Exception {
    Options options =
        new OptionsBuilder()
            .include(getClass().getPackageName() + "\\..*Benchmark\\..*")
            .forks(0)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(50))
            .threads(1)
            .verbosity(VerboseMode.SILENT)
            .resultFormat(ResultFormatType.JSON)
            .result(dir.resolve("throughput-t1.json").toString())
            .build();
    Collection<RunResult> results = new Runner(options).run();

    Set<String> expected = benchmarkMethods();
    Map<String, Long> runsPerMethod =
        results.stream()
            .collect(
                Collectors.groupingBy(r -> r.getParams().getBenchmark(), Collectors.counting()));
    assertThat(runsPerMethod.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    for (RunResult result : results) {
      double score = result.getPrimaryResult().getScore();
      assertThat(score)
          .as("%s %s", result.getParams().getBenchmark(), result.getParams())
          .isFinite()
          .isPositive();
    }

    // Every strategy the report tabulates ran, and nothing the report does not know.
    Set<String> strategies =
        results.stream()
            .filter(
                r -> r.getParams().getBenchmark().endsWith(Implementation.MELANGE_POOL_BENCHMARK))
            .map(r -> r.getParams().getParam("strategy"))
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(strategies).containsExactlyInAnyOrderElementsOf(Implementation.STRATEGIES);

    // The report reads what JMH wrote, so the whole pipeline behind RESULTS.md is exercised. The
    // same file stands in for the strategies run, which measures a subset of these parameters.
    Files.copy(dir.resolve("throughput-t1.json"), dir.resolve(ResultsReader.STRATEGIES));
    Path out = dir.resolve("report");
    ResultsReport.main(new String[] {dir.toString(), out.toString()});
    String tables = Files.readString(out.resolve("results-tables.md"));
    assertThat(tables).contains("melange-pool (least-loaded)").contains("lease floor");
    for (String strategy : Implementation.STRATEGIES) {
      assertThat(tables)
          .as("a measured row for %s", strategy)
          .containsPattern("\\| " + strategy + " \\| [0-9]");
    }
    assertThat(tables)
        .containsPattern("\\| \\(g\\) melange-pool \\(affinity\\).*\\| (met|NOT met) \\|");
    assertThat(out.resolve("round-trip-16.png")).isNotEmptyFile();
  }

  /** The benchmark methods JMH's annotation processor found in this module. */
  private static Set<String> benchmarkMethods() {
    Set<String> methods = new TreeSet<>();
    for (BenchmarkListEntry entry :
        BenchmarkList.defaultList()
            .getAll(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                java.util.List.of())) {
      methods.add(entry.getUsername());
    }
    assertThat(methods).isNotEmpty();
    return methods;
  }
}
