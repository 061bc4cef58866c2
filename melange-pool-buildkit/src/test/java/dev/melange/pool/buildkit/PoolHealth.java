package dev.melange.pool.buildkit;

import dev.melange.pool.BackendPool;
import dev.melange.pool.Health;
import dev.melange.pool.PoolEvent;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Test helper: waits for a one-backend pool's health. */
final class PoolHealth {
  private PoolHealth() {}

  /**
   * Waits, on the pool's events rather than by polling, until its first backend has {@code health};
   * 20 s at most, for a slow shared machine.
   */
  static void awaitHealth(BackendPool pool, Health health) throws Exception {
    BlockingQueue<PoolEvent> events = new LinkedBlockingQueue<>();
    AutoCloseable subscription = pool.subscribe(events::add);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (pool.status().get(0).health() != health) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || events.poll(left, TimeUnit.NANOSECONDS) == null) {
          throw new AssertionError(
              "waited 20 s for health " + health + "; status: " + pool.status());
        }
      }
    } finally {
      subscription.close();
    }
  }
}
