package dev.melange.pool.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Everything one results directory holds, and the look-ups the tables, targets and charts share. A
 * file that was missing leaves its part empty and {@link #isMissing} true for its name, so that a
 * smoke run that wrote only some files still gets a report.
 */
final class MeasuredResults {
  /** The fleet size the round-trip comparison and most targets are set at. */
  static final long ROUND_TRIP_BACKENDS = 16;

  /** The thread counts of the throughput runs, one file each. */
  static final List<Integer> THREAD_COUNTS = List.of(1, 2);

  private final List<BenchmarkResult> throughput;
  private final List<BenchmarkResult> strategies;
  private final List<BenchmarkResult> handoff;
  private final @Nullable Footprint footprint;
  private final Set<String> missingFiles;

  MeasuredResults(
      List<BenchmarkResult> throughput,
      List<BenchmarkResult> strategies,
      List<BenchmarkResult> handoff,
      @Nullable Footprint footprint,
      Set<String> missingFiles) {
    this.throughput = List.copyOf(throughput);
    this.strategies = List.copyOf(strategies);
    this.handoff = List.copyOf(handoff);
    this.footprint = footprint;
    this.missingFiles = Set.copyOf(missingFiles);
  }

  /** The round-trip results of both thread counts. */
  List<BenchmarkResult> throughput() {
    return throughput;
  }

  /**
   * The strategies run: {@link AcquireReleaseBenchmark} with every strategy at a few fleet sizes,
   * kept apart from {@link #throughput()} so that the round-trip and scale tables keep comparing
   * least-loaded measured with the same forks as the references.
   */
  List<BenchmarkResult> strategies() {
    return strategies;
  }

  /**
   * The strategies run's 1-thread round trip with one strategy (or affinity) at a fleet size, or
   * null if not measured.
   */
  @Nullable BenchmarkResult findStrategy(String strategy, long backends) {
    Implementation pool = Implementation.melangePool(strategy);
    for (BenchmarkResult result : strategies) {
      if (result.threads() == 1 && pool.matches(result, backends)) {
        return result;
      }
    }
    return null;
  }

  /**
   * The strategies to tabulate: {@link Implementation#STRATEGIES} in order, then any other strategy
   * the strategies run measured, alphabetically.
   */
  List<String> strategyNames() {
    List<String> names = new ArrayList<>(Implementation.STRATEGIES);
    SortedSet<String> others = new TreeSet<>();
    for (BenchmarkResult result : strategies) {
      String strategy = result.param("strategy");
      if (result.benchmark().equals(Implementation.MELANGE_POOL_BENCHMARK)
          && strategy != null
          && !names.contains(strategy)) {
        others.add(strategy);
      }
    }
    names.addAll(others);
    return names;
  }

  /** The hand-off results, in sample mode. */
  List<BenchmarkResult> handoff() {
    return handoff;
  }

  @Nullable Footprint footprint() {
    return footprint;
  }

  /** Whether the named input file was absent or empty. */
  boolean isMissing(String fileName) {
    return missingFiles.contains(fileName);
  }

  /** The result for an implementation at a fleet size and thread count, or null if not measured. */
  @Nullable BenchmarkResult find(Implementation implementation, long backends, int threads) {
    for (BenchmarkResult result : throughput) {
      if (result.threads() == threads && implementation.matches(result, backends)) {
        return result;
      }
    }
    return null;
  }

  /** The round trip in ns/op, or null if not measured. */
  @Nullable Double nanosPerOp(Implementation implementation, long backends, int threads) {
    BenchmarkResult result = find(implementation, backends, threads);
    return result == null ? null : result.nanosPerOp();
  }

  /** melange-pool with the strategy the targets are set for. */
  static Implementation referencePool() {
    return Implementation.melangePool(Implementation.LEAST_LOADED);
  }

  /** melange-pool once per measured strategy, least-loaded first; least-loaded if none measured. */
  List<Implementation> pools() {
    SortedSet<String> others = new TreeSet<>();
    for (BenchmarkResult result : throughput) {
      String strategy = result.param("strategy");
      if (result.benchmark().equals(Implementation.MELANGE_POOL_BENCHMARK)
          && strategy != null
          && !strategy.equals(Implementation.LEAST_LOADED)) {
        others.add(strategy);
      }
    }
    List<Implementation> pools = new ArrayList<>();
    pools.add(referencePool());
    others.forEach(strategy -> pools.add(Implementation.melangePool(strategy)));
    return pools;
  }

  /** The rows of the round-trip comparison: the pools, the floors, then the references. */
  List<Implementation> roundTripImplementations() {
    List<Implementation> rows = new ArrayList<>(pools());
    rows.add(Implementation.LEASE_FLOOR);
    rows.add(Implementation.BARE_FLOOR);
    rows.addAll(references());
    return rows;
  }

  /** The implementations whose cost may grow with the fleet: the pools and the references. */
  List<Implementation> scalingImplementations() {
    List<Implementation> rows = new ArrayList<>(pools());
    rows.add(Implementation.BUSY_POOL);
    rows.addAll(references());
    return rows;
  }

  /** What users would build instead of melange-pool. */
  static List<Implementation> references() {
    return List.of(
        Implementation.MELANGE_SERVER_PORT, Implementation.RESILIENCE4J, Implementation.FAILSAFE);
  }

  /** Every {@code backends} value measured, ascending. */
  SortedSet<Long> backendCounts() {
    SortedSet<Long> counts = new TreeSet<>();
    for (BenchmarkResult result : throughput) {
      String backends = result.param("backends");
      if (backends != null) {
        counts.add(Long.parseLong(backends));
      }
    }
    return counts;
  }
}
