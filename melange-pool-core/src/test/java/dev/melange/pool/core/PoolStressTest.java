package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendNotFoundException;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.DuplicateBackendException;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.NoBackendAvailableException.Reason;
import dev.melange.pool.Selector;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Many threads acquiring, waiting, and ending leases with random outcomes at once, over backends
 * with few slots so that threads really queue. Every job counts itself in and out of its backend
 * (its incarnation, when backends come and go), and the count must never pass the backend's {@code
 * maxJobs}; at the end every lease handed out has been ended and every backend is idle.
 *
 * <p>No assertion depends on timing: acquire timeouts are ten seconds where a slot frees up within
 * microseconds, and a task still running after two minutes fails the test with a thread dump.
 */
class PoolStressTest {
  private static final int THREADS = 8;
  private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration HANG_LIMIT = Duration.ofMinutes(2);
  private static final String X86 = "x86_64";
  private static final String ARM = "aarch64";
  private static final List<String> ARCHS = List.of(X86, ARM);

  @Test
  void contendedLeasesStayWithinMaxJobsAndAllComeBack() throws Exception {
    List<Backend> backends =
        List.of(
            new Backend("tcp://x1:1234", X86, 2, Map.of()),
            new Backend("tcp://x2:1234", X86, 1, Map.of("tier", "high")),
            new Backend("tcp://x3:1234", X86, 3, Map.of()),
            new Backend("tcp://a1:1234", ARM, 1, Map.of("tier", "high")),
            new Backend("tcp://a2:1234", ARM, 2, Map.of()));
    List<Selector> selectors =
        List.of(Selector.any(), Selector.parse("tier=high"), Selector.parse("tier!=high"));
    BackendPool.Builder builder =
        BackendPool.builder()
            // The real clock and a short recovery: circuits open now and then, and waiters held
            // back by them are woken by the pool's timer, which this exercises too.
            .failureThreshold(3)
            .recoveryTimeout(Duration.ofMillis(2))
            .acquireTimeout(ACQUIRE_TIMEOUT);
    backends.forEach(builder::backend);
    int leasesPerThread = 12_500;
    long seed = new SplittableRandom().nextLong();
    ConcurrentRun run = new ConcurrentRun();
    Map<String, Tracked> byAddr = new ConcurrentHashMap<>();
    backends.forEach(b -> byAddr.put(b.addr(), new Tracked(b.maxJobs())));
    Counters counters = new Counters();

    try (BackendPool pool = builder.build()) {
      run.run(
          THREADS,
          HANG_LIMIT,
          i ->
              () -> {
                SplittableRandom random = new SplittableRandom(seed + i);
                for (int granted = 0; granted < leasesPerThread && !run.failing(); ) {
                  String arch = ARCHS.get(random.nextInt(ARCHS.size()));
                  Selector selector = selectors.get(random.nextInt(selectors.size()));
                  Lease lease = obtain(pool, arch, selector, false, random, run, counters);
                  if (lease == null) {
                    continue;
                  }
                  granted++;
                  Tracked tracked = byAddr.get(lease.backend().addr());
                  if (tracked == null) {
                    run.violation("lease on an unknown backend " + lease.backend());
                    lease.close();
                    continue;
                  }
                  runOrHandOff(lease, arch, selector, tracked, random, run, counters);
                  if (granted % 256 == 0) {
                    checkStatuses(pool.status(), run);
                  }
                }
                return null;
              });

      run.assertNoViolations("seed " + seed);
      long total = (long) THREADS * leasesPerThread;
      assertThat(counters.granted.sum()).as("leases granted").isEqualTo(total);
      assertThat(counters.ended.sum()).as("leases ended").isEqualTo(total);
      List<BackendStatus> statuses = ConcurrentRun.awaitIdle(pool, ACQUIRE_TIMEOUT);
      assertThat(statuses).allSatisfy(s -> assertThat(s.activeJobs()).as(s.addr()).isZero());
      assertThat(byAddr.values()).allSatisfy(t -> assertThat(t.inFlight.get()).isZero());
      // The point is contention: at least one backend must have been seen full.
      assertThat(byAddr.values()).anySatisfy(t -> assertThat(t.peak.get()).isEqualTo(t.maxJobs));
      System.out.printf(
          "contended: %d leases, %d misses (empty tryAcquire, zero timeout, cancelled), peaks %s%n",
          total, counters.misses.sum(), byAddr);
    }
  }

  @Test
  void backendsAddedAndRemovedUnderLoadKeepEachIncarnationWithinItsLimit() throws Exception {
    FakeTicker ticker = new FakeTicker();
    Registry registry = new Registry();
    BackendPool.Builder builder =
        BackendPool.builder()
            // A frozen clock and no recovery time: an open circuit is at once half-open, so the
            // one-trial-at-a-time gate is raced constantly, with no dependence on time.
            .ticker(ticker)
            .failureThreshold(2)
            .recoveryTimeout(Duration.ZERO)
            .acquireTimeout(ACQUIRE_TIMEOUT);
    // Never removed, so no arch ever disappears and the pool never gets down to one backend.
    builder.backend(registry.newIncarnation("tcp://x-base:1234", X86, 2, "base"));
    builder.backend(registry.newIncarnation("tcp://a-base:1234", ARM, 1, "base"));
    List<Churned> churned =
        List.of(
            new Churned("tcp://x-c1:1234", X86),
            new Churned("tcp://x-c2:1234", X86),
            new Churned("tcp://a-c1:1234", ARM));
    SplittableRandom setup = new SplittableRandom();
    for (Churned c : churned) {
      Backend backend = registry.newIncarnation(c.addr, c.arch, 1 + setup.nextInt(3), "churn");
      builder.backend(backend);
      c.current = registry.get(backend);
    }
    List<Selector> selectors =
        List.of(Selector.any(), Selector.parse("role=churn"), Selector.parse("role=base"));
    int leasesPerThread = 6_000;
    long seed = setup.nextLong();
    ConcurrentRun run = new ConcurrentRun();
    Counters counters = new Counters();
    AtomicInteger churns = new AtomicInteger();

    try (BackendPool pool = builder.build()) {
      run.run(
          THREADS,
          HANG_LIMIT,
          i ->
              () -> {
                SplittableRandom random = new SplittableRandom(seed + i);
                for (int granted = 0; granted < leasesPerThread && !run.failing(); ) {
                  if (random.nextInt(32) == 0) {
                    churn(pool, churned.get(random.nextInt(churned.size())), registry, random);
                    churns.incrementAndGet();
                    long before = registry.clock.get();
                    checkStatuses(pool.status(), before, run, registry);
                    continue;
                  }
                  String arch = ARCHS.get(random.nextInt(ARCHS.size()));
                  Selector selector = selectors.get(random.nextInt(selectors.size()));
                  long startedAt = registry.clock.get();
                  Lease lease = obtain(pool, arch, selector, true, random, run, counters);
                  if (lease == null) {
                    continue;
                  }
                  granted++;
                  Incarnation incarnation = registry.get(lease.backend());
                  if (incarnation.removedAt <= startedAt) {
                    run.violation(
                        "lease on "
                            + incarnation
                            + ", removed (at "
                            + incarnation.removedAt
                            + ") before the acquire began (at "
                            + startedAt
                            + ")");
                  }
                  runOrHandOff(lease, arch, selector, incarnation, random, run, counters);
                }
                return null;
              });

      run.assertNoViolations("seed " + seed);
      long total = (long) THREADS * leasesPerThread;
      assertThat(counters.granted.sum()).as("leases granted").isEqualTo(total);
      assertThat(counters.ended.sum()).as("leases ended").isEqualTo(total);
      List<BackendStatus> statuses = ConcurrentRun.awaitIdle(pool, ACQUIRE_TIMEOUT);
      assertThat(statuses).allSatisfy(s -> assertThat(s.activeJobs()).as(s.addr()).isZero());
      assertThat(registry.all())
          .allSatisfy(inc -> assertThat(inc.inFlight.get()).as(inc.toString()).isZero());
      assertThat(registry.all())
          .as("some incarnation was removed")
          .anySatisfy(inc -> assertThat(inc.removedAt).isNotEqualTo(Long.MAX_VALUE));
      System.out.printf(
          "churned: %d leases, %d misses, %d adds/removes, %d incarnations%n",
          total, counters.misses.sum(), churns.get(), registry.all().size());
    }
  }

  /**
   * A lease by one of the ways the API offers, or null when none was had (an empty {@code
   * tryAcquire}, a zero timeout, a cancelled future, or, if {@code mayFindNoMatch}, no backend
   * matching at the moment).
   */
  private static @Nullable Lease obtain(
      BackendPool pool,
      String arch,
      Selector selector,
      boolean mayFindNoMatch,
      SplittableRandom random,
      ConcurrentRun run,
      Counters counters)
      throws InterruptedException, ExecutionException {
    int way = random.nextInt(20);
    Lease lease;
    try {
      lease = attempt(pool, arch, selector, way);
    } catch (NoBackendAvailableException e) {
      lease = null;
      boolean waited = way <= 11 || way >= 16;
      if (e.reason() == Reason.NO_CAPACITY && waited) {
        run.violation("waited " + ACQUIRE_TIMEOUT + " in vain: lost wake-up? " + e.getMessage());
      } else if (e.reason() != Reason.NO_CAPACITY
          && !(e.reason() == Reason.NO_MATCHING_BACKEND && mayFindNoMatch)) {
        run.violation("unexpected refusal " + e.reason() + ": " + e.getMessage());
      }
    }
    if (lease == null) {
      counters.misses.increment();
      return null;
    }
    counters.granted.increment();
    return lease;
  }

  private static @Nullable Lease attempt(BackendPool pool, String arch, Selector selector, int way)
      throws InterruptedException, ExecutionException {
    if (way <= 10) {
      return pool.acquire(arch, selector, ACQUIRE_TIMEOUT);
    }
    if (way == 11) {
      return pool.acquire(arch, selector); // the pool's acquireTimeout
    }
    if (way == 12) {
      return pool.acquire(arch, selector, Duration.ZERO);
    }
    if (way <= 15) {
      return pool.tryAcquire(arch, selector).orElse(null);
    }
    CompletableFuture<Lease> future = pool.acquireAsync(arch, selector, ACQUIRE_TIMEOUT);
    if (way == 19 && future.cancel(false)) {
      return null; // a lease granted meanwhile must find its way back to the pool
    }
    return joinLease(future);
  }

  private static Lease joinLease(CompletableFuture<Lease> future)
      throws InterruptedException, ExecutionException {
    try {
      return future.get(HANG_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("acquireAsync never completed, despite its own timeout", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof NoBackendAvailableException refusal) {
        throw refusal;
      }
      throw e;
    } catch (CancellationException e) {
      throw new AssertionError("a future not cancelled by the test was cancelled", e);
    }
  }

  /** Runs the job on this thread, or one time in four on a finisher thread. */
  private static void runOrHandOff(
      Lease lease,
      String arch,
      Selector selector,
      Tracked tracked,
      SplittableRandom random,
      ConcurrentRun run,
      Counters counters) {
    if (random.nextInt(4) == 0) {
      SplittableRandom forFinisher = random.split();
      run.handOff(() -> job(lease, arch, selector, tracked, forFinisher, run, counters));
    } else {
      job(lease, arch, selector, tracked, random, run, counters);
    }
  }

  /** Runs one job on a lease: checks the lease, holds the slot a moment, ends it at random. */
  @SuppressWarnings("ThreadPriorityCheck") // yields only to shuffle interleavings, not to wait
  private static void job(
      Lease lease,
      String arch,
      Selector selector,
      Tracked tracked,
      SplittableRandom random,
      ConcurrentRun run,
      Counters counters) {
    Backend backend = lease.backend();
    if (!backend.arch().equals(arch) || !selector.matches(backend.labels())) {
      run.violation("asked for " + arch + " \"" + selector + "\", got " + backend);
    }
    int running = tracked.inFlight.incrementAndGet();
    tracked.peak.accumulateAndGet(running, Math::max);
    if (running > tracked.maxJobs) {
      run.violation(running + " jobs at once on " + backend + " (" + tracked + ")");
    }
    for (int spin = random.nextInt(64); spin > 0; spin--) {
      Thread.onSpinWait();
    }
    if (random.nextInt(8) == 0) {
      Thread.yield();
    }
    // Out before the slot goes back: after that, another job may rightly take it.
    tracked.inFlight.decrementAndGet();
    endAtRandom(lease, random);
    counters.ended.increment();
    if (random.nextInt(10) == 0) {
      endAtRandom(lease, random); // must do nothing
    }
  }

  private static void endAtRandom(Lease lease, SplittableRandom random) {
    int outcome = random.nextInt(10);
    if (outcome < 8) {
      lease.recordSuccess();
    } else if (outcome < 9) {
      lease.recordFailure(new IOException("simulated build failure"));
    } else {
      lease.close();
    }
  }

  private static void checkStatuses(List<BackendStatus> statuses, ConcurrentRun run) {
    for (BackendStatus status : statuses) {
      if (status.activeJobs() < 0 || status.activeJobs() > status.maxJobs()) {
        run.violation("status out of range: " + status);
      }
      if (status.failures() < 0) {
        run.violation("negative failures: " + status);
      }
    }
  }

  /** Checks statuses read after {@code before}: they must all be of incarnations still in. */
  private static void checkStatuses(
      List<BackendStatus> statuses, long before, ConcurrentRun run, Registry registry) {
    checkStatuses(statuses, run);
    for (BackendStatus status : statuses) {
      Incarnation incarnation = registry.get(status.labels());
      if (incarnation.maxJobs != status.maxJobs() || incarnation.removedAt <= before) {
        run.violation("status " + status + " is not that of the current " + incarnation);
      }
    }
  }

  /**
   * Removes the backend if it is in the pool, else adds a fresh incarnation of it. The test's lock
   * per address keeps its own bookkeeping straight; the pool sees adds and removes of different
   * addresses from different threads at once.
   */
  private static void churn(
      BackendPool pool, Churned churned, Registry registry, SplittableRandom random) {
    synchronized (churned) {
      Incarnation current = churned.current;
      if (current != null) {
        pool.remove(churned.addr);
        current.removedAt = registry.clock.incrementAndGet();
        churned.current = null;
        try {
          pool.remove(churned.addr);
          throw new AssertionError("removed " + churned.addr + " twice");
        } catch (BackendNotFoundException expected) {
          // as it should
        }
        return;
      }
      Backend backend =
          registry.newIncarnation(churned.addr, churned.arch, 1 + random.nextInt(3), "churn");
      pool.add(backend);
      churned.current = registry.get(backend);
      try {
        pool.add(backend);
        throw new AssertionError("added " + churned.addr + " twice");
      } catch (DuplicateBackendException expected) {
        // as it should
      }
    }
  }

  /** Jobs seen running on one backend (one incarnation of it). */
  static class Tracked {
    final int maxJobs;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger peak = new AtomicInteger();

    Tracked(int maxJobs) {
      this.maxJobs = maxJobs;
    }

    @Override
    public String toString() {
      return "peak " + peak + "/" + maxJobs;
    }
  }

  /** One incarnation of a backend, told apart from others of the same address by a label. */
  static final class Incarnation extends Tracked {
    final String name;

    /** When its removal completed, by {@link Registry#clock}; never while it is in the pool. */
    volatile long removedAt = Long.MAX_VALUE;

    Incarnation(String name, int maxJobs) {
      super(maxJobs);
      this.name = name;
    }

    @Override
    public String toString() {
      return "incarnation " + name + " (" + super.toString() + ")";
    }
  }

  /** Every incarnation ever added, by its label. */
  static final class Registry {
    /** Orders removals against the start of acquires. */
    final AtomicLong clock = new AtomicLong();

    private final Map<String, Incarnation> byName = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();

    Backend newIncarnation(String addr, String arch, int maxJobs, String role) {
      String name = addr + "#" + next.incrementAndGet();
      byName.put(name, new Incarnation(name, maxJobs));
      return new Backend(addr, arch, maxJobs, Map.of("incarnation", name, "role", role));
    }

    Incarnation get(Backend backend) {
      return get(backend.labels());
    }

    Incarnation get(Map<String, String> labels) {
      String name = labels.get("incarnation");
      Incarnation incarnation = name == null ? null : byName.get(name);
      if (incarnation == null) {
        throw new AssertionError("a backend the test never added: " + labels);
      }
      return incarnation;
    }

    List<Incarnation> all() {
      return new ArrayList<>(byName.values());
    }
  }

  /** An address the churning threads add and remove; guarded by itself. */
  static final class Churned {
    final String addr;
    final String arch;
    @Nullable Incarnation current;

    Churned(String addr, String arch) {
      this.addr = addr;
      this.arch = arch;
    }
  }

  static final class Counters {
    final LongAdder granted = new LongAdder();
    final LongAdder ended = new LongAdder();
    final LongAdder misses = new LongAdder();
  }
}
