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

    // The report reads what JMH wrote, so the whole pipeline behind RESULTS.md is exercised.
    Path out = dir.resolve("report");
    ResultsReport.main(new String[] {dir.toString(), out.toString()});
    assertThat(Files.readString(out.resolve("results-tables.md")))
        .contains("melange-pool (least-loaded)")
        .contains("lease floor");
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
