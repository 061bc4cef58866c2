package dev.melange.pool.benchmarks;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One thing the report compares: melange-pool with one selection strategy, a floor, or a reference
 * that users would build instead. It names the JMH benchmark that measured it.
 *
 * @param label the name in tables and charts
 * @param benchmark the JMH class and method, e.g. {@code FloorBenchmark.leaseFloor}
 * @param strategy the {@code strategy} parameter to match, or null to match any
 * @param scalesWithBackends whether the benchmark has a {@code backends} parameter; the floors do
 *     not, so they stand for every fleet size
 */
record Implementation(
    String label, String benchmark, @Nullable String strategy, boolean scalesWithBackends) {

  /** The strategy the targets are set for. */
  static final String LEAST_LOADED = "least-loaded";

  /**
   * Every {@code strategy} value of {@link AcquireReleaseBenchmark}, in the order the strategies
   * table lists them: the built-in strategies as the builder's javadoc names them, then affinity.
   */
  static final List<String> STRATEGIES =
      List.of(
          LEAST_LOADED,
          "round-robin",
          "random",
          "weighted-random",
          "power-of-two",
          "weighted-least-request",
          "peak-ewma",
          AcquireReleaseBenchmark.AFFINITY);

  static final String MELANGE_POOL_BENCHMARK = "AcquireReleaseBenchmark.melangePool";

  /**
   * melange-pool on a pool where every backend already runs half its jobs, so least-loaded scans
   * every backend: the worst case of the scan, shown beside the idle pool in the scale table.
   */
  static final Implementation BUSY_POOL =
      new Implementation(
          "melange-pool (least-loaded), busy pool", "BusyPoolBenchmark.melangePool", null, true);

  static final Implementation LEASE_FLOOR =
      new Implementation("lease floor", "FloorBenchmark.leaseFloor", null, false);
  static final Implementation BARE_FLOOR =
      new Implementation("bare floor", "FloorBenchmark.bareFloor", null, false);
  static final Implementation MELANGE_SERVER_PORT =
      new Implementation("melange-server port", "ReferenceBenchmark.melangeServerPort", null, true);
  static final Implementation RESILIENCE4J =
      new Implementation("Resilience4j", "ReferenceBenchmark.resilience4j", null, true);
  static final Implementation FAILSAFE =
      new Implementation("Failsafe", "ReferenceBenchmark.failsafe", null, true);

  /** melange-pool with one selection strategy. */
  static Implementation melangePool(String strategy) {
    return new Implementation(
        "melange-pool (" + strategy + ")", MELANGE_POOL_BENCHMARK, strategy, true);
  }

  /** Whether a result measured this implementation (at any fleet size and thread count). */
  boolean matches(BenchmarkResult result) {
    return result.benchmark().equals(benchmark)
        && (strategy == null || strategy.equals(result.param("strategy")));
  }

  /** Whether a result measured this implementation with {@code backends} backends. */
  boolean matches(BenchmarkResult result, long backends) {
    return matches(result)
        && (!scalesWithBackends || String.valueOf(backends).equals(result.param("backends")));
  }
}
