package dev.melange.pool.core;

import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A pool's timer: one daemon thread, made on first need, for waiters' timeouts, drains' ends,
 * recovery checks and the watch's looks. A task that acts on a backend carries what it was queued
 * for and re-checks it when it runs (the state may have moved on meanwhile).
 *
 * <p>Takes only its own lock, never the pool's: health threads shared by every pool schedule on it.
 * The pool closes it while holding its topology lock, so the order is topology lock, then this one,
 * never the other way.
 */
final class PoolTimer {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Object lock = new Object();

  /** Guarded by {@code lock}; created on first need, taken on close. */
  private @Nullable ScheduledThreadPoolExecutor executor;

  /** Guarded by {@code lock}. */
  private boolean closed;

  /** Runs {@code task} after {@code delayNanos} on the timer's thread; null once closed. */
  @Nullable Future<?> schedule(Runnable task, long delayNanos) {
    ScheduledThreadPoolExecutor current;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      current = executor;
      if (current == null) {
        current = newExecutor();
        executor = current;
      }
    }
    try {
      return current.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      return null;
    }
  }

  /**
   * Takes no task from now on. Returns the thread's executor, if one was made, for the caller to
   * stop once it has failed what waits on it (the pool fails its waiters first).
   */
  @Nullable ScheduledThreadPoolExecutor close() {
    synchronized (lock) {
      closed = true;
      ScheduledThreadPoolExecutor current = executor;
      executor = null;
      return current;
    }
  }

  private static ScheduledThreadPoolExecutor newExecutor() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread thread =
                  new Thread(runnable, "melange-pool-timer-" + THREADS.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }
}
