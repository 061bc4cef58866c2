package dev.melange.pool.benchmarks;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The memory a pool holds per backend, as the footprint program measured it from the object graph:
 * one row per fleet size, and the marginal cost of one more backend between the sizes.
 *
 * @param rows one row per fleet size, in the file's order
 * @param marginalBytesPerBackend the slope between fleet sizes, or null when the file has none
 */
record Footprint(List<Row> rows, @Nullable Double marginalBytesPerBackend) {

  /**
   * The footprint of one pool.
   *
   * @param backends the fleet size
   * @param totalBytes the retained size of the pool
   * @param bytesPerBackend {@code totalBytes / backends}
   */
  record Row(long backends, long totalBytes, double bytesPerBackend) {}

  Footprint {
    rows = List.copyOf(rows);
  }

  /** The row for a fleet size, or null when the footprint program did not measure it. */
  @Nullable Row at(long backends) {
    for (Row row : rows) {
      if (row.backends() == backends) {
        return row;
      }
    }
    return null;
  }
}
