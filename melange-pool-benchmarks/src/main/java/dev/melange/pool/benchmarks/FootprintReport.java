package dev.melange.pool.benchmarks;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import org.openjdk.jol.info.GraphLayout;

/**
 * Bytes per backend: the whole object graph a pool holds (backends, their addresses and labels,
 * slots, circuit breakers, topology, caches), measured with JOL over pools of 1,000 and 10,000
 * backends, per backend and at the margin between the two.
 *
 * <p>Run: {@code java -cp benchmarks.jar dev.melange.pool.benchmarks.FootprintReport <dir>}; it
 * prints a table and writes {@code <dir>/footprint.json}.
 */
public final class FootprintReport {
  static final int[] SIZES = {1_000, 10_000};

  private FootprintReport() {}

  /** One pool size and what its graph weighs. */
  record Row(int backends, long totalBytes, double bytesPerBackend) {}

  /** What {@code footprint.json} holds. */
  record Footprint(List<Row> rows, double marginalBytesPerBackend) {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : ".");
    Footprint footprint = measure(SIZES);
    Files.createDirectories(dir);
    Gson gson = new GsonBuilder().setPrettyPrinting().create();
    Files.writeString(dir.resolve("footprint.json"), gson.toJson(footprint));
    System.out.printf("%10s %14s %18s%n", "backends", "total bytes", "bytes per backend");
    for (Row row : footprint.rows()) {
      System.out.printf(
          "%10d %14d %18.1f%n", row.backends(), row.totalBytes(), row.bytesPerBackend());
    }
    System.out.printf("marginal bytes per backend: %.1f%n", footprint.marginalBytesPerBackend());
  }

  static Footprint measure(int... sizes) {
    // Records are laid out like other classes, but Unsafe refuses to say so; JOL can find field
    // offsets its own way.
    System.setProperty("jol.magicFieldOffset", "true");
    List<Row> rows = new ArrayList<>();
    for (int size : sizes) {
      long total = graphBytes(size);
      rows.add(new Row(size, total, (double) total / size));
    }
    Row first = rows.get(0);
    Row last = rows.get(rows.size() - 1);
    double marginal =
        (double) (last.totalBytes() - first.totalBytes()) / (last.backends() - first.backends());
    return new Footprint(rows, marginal);
  }

  private static long graphBytes(int size) {
    try (BackendPool pool = Fleet.pool(size)) {
      // Warm what a working pool has made: the selector caches, one lease's worth of state.
      try (Lease lease =
          pool.tryAcquire(Fleet.ARCH, Selector.parse("tier=standard")).orElseThrow()) {
        lease.recordSuccess();
      }
      // The pool refers to JVM-wide objects it does not own (Caffeine's default executor, the
      // common ForkJoinPool, reaches the threads and from there every loaded class): leave them
      // out, or they would swamp what the pool itself holds.
      return GraphLayout.parseInstance(pool)
          .subtract(GraphLayout.parseInstance(ForkJoinPool.commonPool()))
          .totalSize();
    }
  }
}
