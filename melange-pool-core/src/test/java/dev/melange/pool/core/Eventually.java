package dev.melange.pool.core;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Test helper: waits for something a background thread does (a probe's answer, a file watch), by
 * looking every 10 ms. The limits are generous, for a slow shared machine; a test passes as soon as
 * the condition holds.
 */
final class Eventually {
  static final long DEFAULT_MILLIS = 20_000;

  private Eventually() {}

  /**
   * Waits until {@code condition} holds; fails with {@code what} and {@code state} if it never
   * does.
   */
  static void until(String what, BooleanSupplier condition, Supplier<?> state) {
    long deadline = System.nanoTime() + DEFAULT_MILLIS * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "waited " + DEFAULT_MILLIS + " ms for " + what + "; state: " + state.get());
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
