package dev.melange.pool.benchmarks;

import dev.melange.pool.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * melange-server's backend pool ported to Java from its description (FACTS.md and the "Managing
 * Backends" guide), as the reference melange-pool must beat on its own ground.
 *
 * <p>Per acquire, under the read lock of one {@link ReentrantReadWriteLock} over the backend list:
 * walk every backend in configuration order, keep those of the exact arch whose labels hold every
 * selector pair, whose circuit is closed or past its recovery window, and that have a free job;
 * snapshot each one's load {@code activeJobs / maxJobs} into a new candidate list; sort it with a
 * stable sort (ties stay in configuration order); then reserve a job on the first candidate whose
 * compare-and-set succeeds, moving on when a candidate is found full. Release is lock-free: a
 * decrement, then the circuit bookkeeping.
 *
 * <p>Kept from the original because a benchmark does not notice them: no waiting when everything is
 * busy (acquire returns null), no real half-open state, no guard against a double release (which
 * drives {@code activeJobs} negative), removal without draining. It never exceeds {@code maxJobs}:
 * a job is only taken by a compare-and-set from a value below it.
 *
 * <p>One liberty: Go's {@code sort.Slice} tolerates a less-function whose answers change while it
 * sorts, Java's TimSort may throw on one, so the loads are snapshotted (one small object per
 * candidate) instead of re-read live during the sort. Thread-safe.
 */
final class MelangeServerPort {
  static final int DEFAULT_MAX_JOBS = 4;
  static final int FAILURE_THRESHOLD = 3;
  static final long RECOVERY_TIMEOUT_NANOS = Duration.ofSeconds(30).toNanos();

  private static final Comparator<Candidate> BY_LOAD = Comparator.comparingDouble(Candidate::load);

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final List<PortBackend> backends = new ArrayList<>(); // guarded by lock

  MelangeServerPort(List<Backend> config) {
    if (config.isEmpty()) {
      throw new IllegalArgumentException("at least one backend is required");
    }
    for (Backend backend : config) {
      backends.add(new PortBackend(backend));
    }
  }

  /** A job on the least-loaded matching backend, or null when none is available. */
  @Nullable PortBackend acquire(String arch, Map<String, String> selector) {
    lock.readLock().lock();
    try {
      List<Candidate> candidates = new ArrayList<>();
      for (PortBackend backend : backends) {
        if (!backend.config.arch().equals(arch) || !matches(backend.config.labels(), selector)) {
          continue;
        }
        if (backend.circuitOpen.get()
            && System.nanoTime() - backend.lastFailureNanos.get() < RECOVERY_TIMEOUT_NANOS) {
          continue;
        }
        int active = backend.activeJobs.get();
        if (active >= backend.maxJobs) {
          continue;
        }
        candidates.add(new Candidate(backend, (double) active / backend.maxJobs));
      }
      candidates.sort(BY_LOAD); // List.sort is stable
      for (Candidate candidate : candidates) {
        AtomicInteger jobs = candidate.backend.activeJobs;
        for (int current = jobs.get(); current < candidate.backend.maxJobs; current = jobs.get()) {
          if (jobs.compareAndSet(current, current + 1)) {
            return candidate.backend;
          }
        }
      }
      return null;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Gives a job back and tells the circuit how it went. Not guarded against a double release. */
  void release(PortBackend backend, boolean success) {
    backend.activeJobs.decrementAndGet();
    if (success) {
      backend.failures.set(0);
      backend.circuitOpen.set(false);
    } else {
      int failures = backend.failures.incrementAndGet();
      backend.lastFailureNanos.set(System.nanoTime());
      if (failures >= FAILURE_THRESHOLD) {
        backend.circuitOpen.set(true);
      }
    }
  }

  /**
   * Adds a backend at the end of the configuration order.
   *
   * @throws IllegalArgumentException {@code backend already exists: <addr>}
   */
  void add(Backend config) {
    lock.writeLock().lock();
    try {
      for (PortBackend backend : backends) {
        if (backend.config.addr().equals(config.addr())) {
          throw new IllegalArgumentException("backend already exists: " + config.addr());
        }
      }
      backends.add(new PortBackend(config));
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Removes a backend at once, without draining its jobs.
   *
   * @throws IllegalArgumentException {@code backend not found: <addr>} or {@code cannot remove the
   *     last backend}
   */
  void remove(String addr) {
    lock.writeLock().lock();
    try {
      if (backends.size() == 1 && backends.get(0).config.addr().equals(addr)) {
        throw new IllegalArgumentException("cannot remove the last backend");
      }
      if (!backends.removeIf(backend -> backend.config.addr().equals(addr))) {
        throw new IllegalArgumentException("backend not found: " + addr);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Jobs held on one backend, by position in the list; for tests. */
  int activeJobs(int index) {
    lock.readLock().lock();
    try {
      return backends.get(index).activeJobs.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Jobs held on all backends together. */
  int activeJobs() {
    lock.readLock().lock();
    try {
      int sum = 0;
      for (PortBackend backend : backends) {
        sum += backend.activeJobs.get();
      }
      return sum;
    } finally {
      lock.readLock().unlock();
    }
  }

  private static boolean matches(Map<String, String> labels, Map<String, String> selector) {
    if (selector.isEmpty()) {
      return true; // Go's range over an empty map costs nothing; neither should this
    }
    for (Map.Entry<String, String> wanted : selector.entrySet()) {
      if (!wanted.getValue().equals(labels.get(wanted.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** One backend and its state, all atomics as in the Go struct. */
  static final class PortBackend {
    final Backend config;
    final int maxJobs;
    final AtomicInteger activeJobs = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    final AtomicBoolean circuitOpen = new AtomicBoolean();
    final AtomicLong lastFailureNanos = new AtomicLong();

    PortBackend(Backend config) {
      this.config = config;
      this.maxJobs = config.maxJobs() == 0 ? DEFAULT_MAX_JOBS : config.maxJobs();
    }

    @Override
    public String toString() {
      return config.addr() + " (" + activeJobs.get() + "/" + maxJobs + ")";
    }
  }

  private record Candidate(PortBackend backend, double load) {}
}
