package dev.melange.pool.buildkit;

import dev.melange.pool.BackendPool;
import dev.melange.pool.PoolEvent;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Test helper: waits for a pool to reach a state, on its events rather than by polling with sleeps
 * (every change a probe makes is an event). Generous, for a slow shared 2-core box.
 */
final class PoolWaits {
  private static final long SECONDS = 20;

  private PoolWaits() {}

  /** Waits until {@code condition} holds, or fails naming {@code what} and the pool's status. */
  static void await(BackendPool pool, String what, BooleanSupplier condition) throws Exception {
    BlockingQueue<PoolEvent> events = new LinkedBlockingQueue<>();
    AutoCloseable subscription = pool.subscribe(events::add);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || events.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError(
              "waited " + SECONDS + " s for " + what + "; status: " + pool.status());
        }
      }
    } finally {
      subscription.close();
    }
  }
}
