package dev.melange.pool.examples;

import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.nio.file.Path;

/**
 * The README's quick start, runnable: a pool from a file, one lease for an x86_64 build on a
 * high-memory backend, its outcome reported. Run it with {@code ./mvnw -q -pl examples -am verify
 * -Pdemo -Dexample=QuickStart}, or give it another file as its argument.
 */
public final class QuickStart {
  private QuickStart() {}

  public static void main(String[] args) throws InterruptedException {
    Path file = Path.of(args.length > 0 ? args[0] : "quickstart.yaml");
    try (BackendPool pool = BackendPool.fromYaml(file);
        Lease lease = pool.acquire("x86_64", Selector.parse("tier=high-memory"))) {
      build(lease.backend().addr());
      lease.recordSuccess(); // or lease.recordFailure(e); closing without an outcome is fine too
    }
  }

  /** Where a build service would start the build on the daemon; here it says where. */
  private static void build(String addr) {
    System.out.println("building on " + addr);
  }
}
