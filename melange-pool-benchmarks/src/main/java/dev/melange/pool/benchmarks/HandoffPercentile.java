package dev.melange.pool.benchmarks;

/** The hand-off latency percentiles the report shows, in the order it shows them. */
enum HandoffPercentile {
  P50("p50", 50.0),
  P90("p90", 90.0),
  P99("p99", 99.0),
  P99_9("p99.9", 99.9),
  MAX("max", 100.0);

  /** The column or bar label. */
  final String label;

  /** The percentile as JMH keys it in {@code scorePercentiles}. */
  final double percentile;

  HandoffPercentile(String label, double percentile) {
    this.label = label;
    this.percentile = percentile;
  }
}
