package dev.melange.pool.benchmarks;

import org.jspecify.annotations.Nullable;

/**
 * The least a lease round trip can do, as a floor under every pool: find the lowest of a few padded
 * job counters, reserve a job on it with one compare-and-set, hand out a small lease, and on
 * release end that lease once (a compare-and-set on its flag) and decrement the counter. No
 * architecture, no labels, no circuit breaker, no waiting.
 *
 * <p>Invariants: {@code 0 <= counter <= maxJobs} for every counter; only a successful
 * compare-and-set below {@code maxJobs} increments, and only the one winning end of a lease
 * decrements. Thread-safe.
 */
final class LeaseFloor {
  private final PaddedCounter[] counters;
  private final int maxJobs;

  LeaseFloor(int counters, int maxJobs) {
    this.counters = new PaddedCounter[counters];
    for (int i = 0; i < counters; i++) {
      this.counters[i] = new PaddedCounter();
    }
    this.maxJobs = maxJobs;
  }

  /** A lease on the least-loaded counter (the earliest on a tie), or null when all are full. */
  @Nullable Lease tryAcquire() {
    while (true) {
      PaddedCounter best = null;
      int bestJobs = maxJobs;
      for (PaddedCounter counter : counters) {
        int jobs = counter.get();
        if (jobs < bestJobs) {
          best = counter;
          bestJobs = jobs;
          if (jobs == 0) {
            break; // nothing is lower, and a tie goes to the earliest anyway
          }
        }
      }
      if (best == null) {
        return null;
      }
      if (best.compareAndSet(bestJobs, bestJobs + 1)) {
        return new Lease(best);
      }
      // Lost the race (or the counter moved): look again.
    }
  }

  /** The index of the counter a lease holds; for tests, not the hot path. */
  int indexOf(Lease lease) {
    for (int i = 0; i < counters.length; i++) {
      if (counters[i] == lease.counter) {
        return i;
      }
    }
    throw new IllegalArgumentException("not a lease of this floor");
  }

  /** Jobs held on one counter; for tests. */
  int activeJobs(int index) {
    return counters[index].get();
  }

  /** Jobs held on all counters together. */
  int activeJobs() {
    int sum = 0;
    for (PaddedCounter counter : counters) {
      sum += counter.get();
    }
    return sum;
  }

  /** One job on one counter; ends once. */
  static final class Lease extends OnceEndingLease {
    private final PaddedCounter counter;

    Lease(PaddedCounter counter) {
      this.counter = counter;
    }

    void end() {
      if (tryEnd()) {
        counter.decrementAndGet();
      }
    }
  }
}
