package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;

/** Test helper: one backend's status, by address. */
final class PoolStatus {
  private PoolStatus() {}

  /**
   * The status of the backend at {@code addr}, by any spelling of it, as the pool finds backends;
   * fails the test if there is none.
   */
  static BackendStatus of(BackendPool pool, String addr) {
    String canonical = Backend.canonicalAddr(addr);
    return pool.status().stream()
        .filter(status -> status.addr().equals(canonical))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no backend " + addr + " in " + pool.status()));
  }
}
