package dev.melange.pool.benchmarks;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One row of a JMH JSON result file, reduced to what the report quotes: which benchmark, with which
 * parameters and threads, its score and error, the allocation per operation and, for sample mode,
 * the latency percentiles. Scores keep JMH's unit; the accessors convert.
 *
 * @param benchmark the class and method, e.g. {@code AcquireReleaseBenchmark.melangePool}
 * @param params the {@code @Param} values, empty when the benchmark has none
 * @param threads the number of threads that ran the benchmark
 * @param score the primary score, in {@code unit}
 * @param error the 99.9% confidence half-width, in {@code unit}; NaN when JMH had too few samples
 * @param unit JMH's score unit, e.g. {@code ns/op} or {@code us/op}
 * @param bytesPerOp {@code gc.alloc.rate.norm}, or null when the run had no {@code -prof gc}
 * @param percentiles percentile (0 to 100) to score in {@code unit}
 */
record BenchmarkResult(
    String benchmark,
    Map<String, String> params,
    int threads,
    double score,
    double error,
    String unit,
    @Nullable Double bytesPerOp,
    Map<Double, Double> percentiles) {

  BenchmarkResult {
    params = Map.copyOf(params);
    percentiles = Collections.unmodifiableMap(new TreeMap<>(percentiles));
    nanosPerUnit(unit); // fail here, with the file in the stack, rather than later in a table
  }

  /** The value of a {@code @Param}, or null when this benchmark has no such parameter. */
  @Nullable String param(String name) {
    return params.get(name);
  }

  /** The score in nanoseconds per operation. */
  double nanosPerOp() {
    return score * nanosPerUnit(unit);
  }

  /** The error in nanoseconds per operation; NaN when JMH reported none. */
  double errorNanos() {
    return error * nanosPerUnit(unit);
  }

  /**
   * A percentile in microseconds.
   *
   * @param percentile 0 to 100, as JMH keys them (50.0, 99.9, 100.0)
   * @return the latency, or null when JMH did not report this percentile
   */
  @Nullable Double percentileMicros(double percentile) {
    Double value = percentiles.get(percentile);
    return value == null ? null : value * nanosPerUnit(unit) / 1_000.0;
  }

  /**
   * How many nanoseconds one unit of a JMH time-per-operation score is.
   *
   * @throws IllegalArgumentException if the unit is not a time per operation (throughput mode)
   */
  static double nanosPerUnit(String unit) {
    return switch (unit) {
      case "ns/op" -> 1.0;
      case "us/op", "µs/op" -> 1_000.0;
      case "ms/op" -> 1_000_000.0;
      case "s/op" -> 1_000_000_000.0;
      default ->
          throw new IllegalArgumentException(
              "score unit must be a time per operation (ns/op, us/op, ms/op, s/op), was " + unit);
    };
  }
}
