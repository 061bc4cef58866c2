package dev.melange.pool.core;

import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * One caller waiting for a lease. Its future is the single arbiter of how the wait ends: a grant, a
 * timeout, a cancellation and the pool's closing each try to complete it, and only the first
 * succeeds. A grant that loses gives its lease straight back.
 */
final class Waiter {
  final String arch;
  final Selector selector;
  final @Nullable String affinityKey;
  final long timeoutNanos;
  final CompletableFuture<Lease> future = new CompletableFuture<>();
  private volatile @Nullable Future<?> timeoutTask;

  /** The pool's ticker reading when it was queued; set once, under the queue's lock. */
  long queuedNanos;

  Waiter(String arch, Selector selector, @Nullable String affinityKey, long timeoutNanos) {
    this.arch = arch;
    this.selector = selector;
    this.affinityKey = affinityKey;
    this.timeoutNanos = timeoutNanos;
  }

  /** Hands over a lease; false (and the lease is back in the pool) if the wait already ended. */
  boolean grant(PooledLease lease) {
    if (future.complete(lease)) {
      cancelTimeout();
      return true;
    }
    lease.closeUnused();
    return false;
  }

  void cancelTimeout() {
    Future<?> task = timeoutTask;
    if (task != null) {
      task.cancel(false);
    }
  }

  void timeoutTask(Future<?> task) {
    timeoutTask = task;
    if (future.isDone()) {
      task.cancel(false);
    }
  }
}
