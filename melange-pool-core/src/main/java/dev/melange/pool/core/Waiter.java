package dev.melange.pool.core;

import dev.melange.pool.Lease;
import dev.melange.pool.Priority;
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
  final Priority priority;
  final CompletableFuture<Lease> future = new CompletableFuture<>();
  private volatile @Nullable Future<?> timeoutTask;

  /** Its place in the order of arrival; set when queued, under the queue's lock. */
  long arrival;

  /** When it was queued, by the pool's ticker; set with {@code arrival}. */
  long arrivedAtNanos;

  /**
   * When it was made, by {@link System#nanoTime()}: its timeout runs in real time (a parked
   * thread's timed wait, the timer's task), and so does the check that no lease is granted after it
   * ran out.
   */
  private final long madeAtRealNanos = System.nanoTime();

  Waiter(
      String arch,
      Selector selector,
      @Nullable String affinityKey,
      long timeoutNanos,
      Priority priority) {
    this.arch = arch;
    this.selector = selector;
    this.affinityKey = affinityKey;
    this.timeoutNanos = timeoutNanos;
    this.priority = priority;
  }

  /**
   * Whether its timeout has run out at {@code realNowNanos} ({@link System#nanoTime()}), though
   * nothing may have ended the wait yet (the thread that would is late): no lease may go to it
   * then, for its caller may have stopped waiting.
   */
  boolean expired(long realNowNanos) {
    return timeoutNanos > 0 && realNowNanos - madeAtRealNanos >= timeoutNanos;
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
