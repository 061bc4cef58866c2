package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.fail;

import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Runs a stress test's tasks on a bounded pool of threads, all released at once, and joins them
 * all. A task that hangs fails the test with every thread's stack rather than hanging the build; a
 * task that throws fails it with that exception. Also collects violations seen by the tasks, so one
 * thread's finding does not stop the others from finding more.
 *
 * <p>Tasks may hand work off to two finisher threads that never acquire: leases they end wake the
 * tasks' waiting threads only if the pool's release path does, whereas a task that ends a lease and
 * acquires again serves the queue through its own acquire and would hide a missing wake-up.
 */
final class ConcurrentRun {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final int MAX_VIOLATIONS_KEPT = 50;
  private static final int FINISHERS = 2;

  private final Queue<String> violations = new ConcurrentLinkedQueue<>();
  private final AtomicInteger violationCount = new AtomicInteger();
  private final String prefix = "stress-" + RUNS.incrementAndGet() + "-";
  private final ExecutorService finishers = newExecutor(FINISHERS, prefix + "finisher-");

  /** Runs a job on a finisher thread; a job that throws is recorded as a violation. */
  void handOff(Runnable job) {
    finishers.execute(
        () -> {
          try {
            job.run();
          } catch (RuntimeException | Error e) {
            violation("a handed-off job threw " + e);
          }
        });
  }

  /** Records a broken invariant; the run goes on, and {@link #assertNoViolations} fails later. */
  void violation(String description) {
    if (violationCount.incrementAndGet() <= MAX_VIOLATIONS_KEPT) {
      violations.add(Thread.currentThread().getName() + ": " + description);
    }
  }

  /** Whether a violation has been seen: tasks may stop early, the test fails anyway. */
  boolean failing() {
    return violationCount.get() != 0;
  }

  void assertNoViolations(String context) {
    if (violationCount.get() != 0) {
      fail(
          violationCount.get()
              + " violations ("
              + context
              + "), the first ones:\n  "
              + String.join("\n  ", violations));
    }
  }

  /**
   * Runs {@code threads} tasks at once and waits for all of them, at most {@code hangLimit}.
   *
   * @param task makes the task for thread {@code i}
   */
  void run(int threads, Duration hangLimit, IntFunction<Callable<?>> task) throws Exception {
    ExecutorService executor = newExecutor(threads, prefix);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        Callable<?> body = task.apply(i);
        futures.add(
            executor.submit(
                () -> {
                  start.await();
                  return body.call();
                }));
      }
      start.countDown();
      executor.shutdown();
      awaitTermination(executor, "stress tasks", hangLimit);
      finishers.shutdown();
      awaitTermination(finishers, "handed-off jobs", hangLimit);
      for (Future<?> future : futures) {
        try {
          future.get();
        } catch (ExecutionException e) {
          throw new AssertionError("a stress task failed: " + e.getCause(), e.getCause());
        }
      }
    } finally {
      executor.shutdownNow();
      finishers.shutdownNow();
    }
  }

  private void awaitTermination(ExecutorService executor, String what, Duration hangLimit)
      throws InterruptedException {
    if (!executor.awaitTermination(hangLimit.toMillis(), TimeUnit.MILLISECONDS)) {
      fail(
          what
              + " still running after "
              + hangLimit
              + ": deadlock or lost wake-up? Threads:\n"
              + threadDump(prefix));
    }
  }

  private static ExecutorService newExecutor(int threads, String namePrefix) {
    AtomicInteger next = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        runnable -> {
          Thread thread = new Thread(runnable, namePrefix + next.getAndIncrement());
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * Waits, at most {@code limit}, until no backend has a lease out. Needed because a lease the pool
   * grants to a waiter that has just given up (cancelled, timed out, or a {@code tryAcquire} that
   * found others waiting) goes back to the pool on whichever thread granted it, which may be the
   * pool's timer thread, a moment after the waiter's own thread has moved on.
   */
  static List<BackendStatus> awaitIdle(BackendPool pool, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    List<BackendStatus> statuses = pool.status();
    while (statuses.stream().anyMatch(status -> status.activeJobs() != 0)
        && System.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
      statuses = pool.status();
    }
    return statuses;
  }

  private static String threadDump(String prefix) {
    StringBuilder dump = new StringBuilder();
    for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
      String name = entry.getKey().getName();
      if (!name.startsWith(prefix) && !name.startsWith("melange-pool-timer")) {
        continue;
      }
      dump.append('"').append(name).append("\" ").append(entry.getKey().getState()).append('\n');
      for (StackTraceElement frame : entry.getValue()) {
        dump.append("    at ").append(frame).append('\n');
      }
    }
    return dump.toString();
  }
}
