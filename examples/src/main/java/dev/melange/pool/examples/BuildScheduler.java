package dev.melange.pool.examples;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.examples.BuildPlan.Job;
import dev.melange.pool.examples.SimulatedBuildKitd.BuildFailedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What a build service does with the pool: for each build, acquire a backend for its arch and
 * selector (with the package as affinity key, so that it finds its cache), run the build there,
 * report how it went, and try another backend when the daemon failed it. It counts everything, so
 * that every build can be accounted for at the end.
 */
final class BuildScheduler implements AutoCloseable {
  /** How often a build is tried before it is given up. */
  static final int MAX_ATTEMPTS = 4;

  /** What happened on one backend. */
  static final class Tally {
    final AtomicInteger built = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicInteger emulated = new AtomicInteger();
    final List<Long> waitNanos = Collections.synchronizedList(new ArrayList<>());
  }

  private final BackendPool pool;
  private final Map<String, SimulatedBuildKitd> daemons;
  private final Duration retryPause;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(BuildFarmDemo.daemonThreads("build"));

  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
  private final AtomicInteger submitted = new AtomicInteger();
  private final AtomicInteger built = new AtomicInteger();
  private final AtomicInteger gaveUp = new AtomicInteger();
  private final AtomicInteger retried = new AtomicInteger();
  private final List<String> gaveUpReasons = Collections.synchronizedList(new ArrayList<>());

  /** Where each package last built, per arch: its cache is there. */
  private final Map<String, String> lastBuiltOn = new ConcurrentHashMap<>();

  private final AtomicInteger rebuilds = new AtomicInteger();
  private final AtomicInteger keptAffinity = new AtomicInteger();
  private final AtomicInteger movedFromDownBackend = new AtomicInteger();
  private final Object done = new Object();

  /**
   * @param daemons the daemons by their backend address
   * @param retryPause how long to wait before the second try of a build; longer before later ones
   */
  BuildScheduler(BackendPool pool, Map<String, SimulatedBuildKitd> daemons, Duration retryPause) {
    this.pool = pool;
    this.daemons = Map.copyOf(daemons);
    this.retryPause = retryPause;
  }

  /** Starts the build on a thread of its own, which waits for a backend as long as it must. */
  void submit(Job job) {
    submitted.incrementAndGet();
    threads.execute(() -> run(job));
  }

  private void run(Job job) {
    AcquireOptions options = AcquireOptions.defaults().withAffinityKey(job.affinityKey());
    String failure = "";
    try {
      for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        if (attempt > 1) {
          retried.incrementAndGet();
          // Back off, as build services do: it gives the pool time to see what failed the build.
          TimeUnit.NANOSECONDS.sleep(retryPause.toNanos() * (attempt - 1));
        }
        long asked = System.nanoTime();
        try (Lease lease = pool.acquire(job.arch(), job.selector(), options)) {
          String addr = lease.backend().addr();
          Tally tally = tally(addr);
          tally.waitNanos.add(System.nanoTime() - asked);
          try {
            Objects.requireNonNull(daemons.get(addr), addr).build(job.arch(), job.nominal());
          } catch (BuildFailedException e) {
            lease.recordFailure(e);
            tally.failed.incrementAndGet();
            failure = e.getMessage();
            continue;
          }
          lease.recordSuccess();
          tally.built.incrementAndGet();
          if (!job.arch().equals(lease.backend().arch())) {
            tally.emulated.incrementAndGet(); // built for an arch its daemon emulates
          }
          String before = lastBuiltOn.put(job.affinityKey(), addr);
          if (before != null) {
            rebuilds.incrementAndGet();
            if (before.equals(addr)) {
              keptAffinity.incrementAndGet();
            } else if (!Objects.requireNonNull(daemons.get(before), before).isUp()) {
              movedFromDownBackend.incrementAndGet();
            }
          }
          finish(built, null);
          return;
        }
      }
      finish(gaveUp, job.affinityKey() + ": failed " + MAX_ATTEMPTS + " times, last: " + failure);
    } catch (NoBackendAvailableException e) {
      finish(gaveUp, job.affinityKey() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finish(gaveUp, job.affinityKey() + ": interrupted");
    }
  }

  private void finish(AtomicInteger outcome, @Nullable String reason) {
    if (reason != null) {
      gaveUpReasons.add(reason);
    }
    synchronized (done) {
      outcome.incrementAndGet();
      done.notifyAll();
    }
  }

  Tally tally(String addr) {
    return tallies.computeIfAbsent(addr, unused -> new Tally());
  }

  int submitted() {
    return submitted.get();
  }

  /** Builds that ended, built or given up. */
  int finished() {
    return built.get() + gaveUp.get();
  }

  int built() {
    return built.get();
  }

  int gaveUp() {
    return gaveUp.get();
  }

  int retried() {
    return retried.get();
  }

  List<String> gaveUpReasons() {
    return List.copyOf(gaveUpReasons);
  }

  int rebuilds() {
    return rebuilds.get();
  }

  int keptAffinity() {
    return keptAffinity.get();
  }

  /** Rebuilds that ran elsewhere because the daemon they built on last was down or gone. */
  int movedFromDownBackend() {
    return movedFromDownBackend.get();
  }

  /**
   * Waits until at least {@code count} builds ended.
   *
   * @return whether they did before the timeout
   */
  boolean awaitFinished(int count, long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    synchronized (done) {
      while (finished() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(done, left);
      }
      return true;
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
