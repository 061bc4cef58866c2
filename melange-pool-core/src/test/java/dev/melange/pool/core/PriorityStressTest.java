package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.Priority;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Many threads acquiring with random priorities, by every way the API offers, over a few backends
 * of one or two slots: the merged priority lanes must lose no waiter (every wait ends in a lease
 * long before its timeout), never let a backend run more than its {@code maxJobs}, and leave every
 * backend idle. A short {@code priorityAging} on the real clock keeps waiters rising levels while
 * they are queued.
 */
class PriorityStressTest {
  private static final int THREADS = 8;
  private static final int LEASES_PER_THREAD = 4_000;
  private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration HANG_LIMIT = Duration.ofMinutes(2);
  private static final String ARCH = "x86_64";
  private static final Priority[] PRIORITIES = Priority.values();

  @Test
  void waitersOfMixedPrioritiesAreAllServedWithinMaxJobs() throws Exception {
    List<Backend> backends =
        List.of(
            new Backend("tcp://x1:1234", ARCH, 2, Map.of()),
            new Backend("tcp://x2:1234", ARCH, 1, Map.of("tier", "high")),
            new Backend("tcp://x3:1234", ARCH, 1, Map.of()));
    List<Selector> selectors =
        List.of(Selector.any(), Selector.parse("tier=high"), Selector.parse("tier!=high"));
    BackendPool.Builder builder =
        BackendPool.builder().acquireTimeout(ACQUIRE_TIMEOUT).priorityAging(Duration.ofMillis(1));
    backends.forEach(builder::backend);
    Map<String, PoolStressTest.Tracked> byAddr = new ConcurrentHashMap<>();
    backends.forEach(b -> byAddr.put(b.addr(), new PoolStressTest.Tracked(b.maxJobs())));
    Map<Priority, LongAdder> grantedByPriority = new ConcurrentHashMap<>();
    for (Priority priority : PRIORITIES) {
      grantedByPriority.put(priority, new LongAdder());
    }
    LongAdder ended = new LongAdder();
    long seed = new SplittableRandom().nextLong();
    ConcurrentRun run = new ConcurrentRun();

    try (BackendPool pool = builder.build()) {
      run.run(
          THREADS,
          HANG_LIMIT,
          i ->
              () -> {
                SplittableRandom random = new SplittableRandom(seed + i);
                for (int granted = 0; granted < LEASES_PER_THREAD && !run.failing(); ) {
                  Priority priority = PRIORITIES[random.nextInt(PRIORITIES.length)];
                  Selector selector = selectors.get(random.nextInt(selectors.size()));
                  Lease lease = obtain(pool, selector, priority, random.nextInt(10), run);
                  if (lease == null) {
                    continue;
                  }
                  granted++;
                  grantedByPriority.get(priority).increment();
                  PoolStressTest.Tracked tracked = byAddr.get(lease.backend().addr());
                  if (random.nextInt(4) == 0) {
                    SplittableRandom forFinisher = random.split();
                    run.handOff(() -> job(lease, tracked, forFinisher, run, ended));
                  } else {
                    job(lease, tracked, random, run, ended);
                  }
                }
                return null;
              });

      run.assertNoViolations("seed " + seed);
      long total = (long) THREADS * LEASES_PER_THREAD;
      assertThat(grantedByPriority.values().stream().mapToLong(LongAdder::sum).sum())
          .as("leases granted")
          .isEqualTo(total);
      assertThat(ended.sum()).as("leases ended").isEqualTo(total);
      assertThat(grantedByPriority.values()).allSatisfy(n -> assertThat(n.sum()).isPositive());
      List<BackendStatus> statuses = ConcurrentRun.awaitIdle(pool, ACQUIRE_TIMEOUT);
      assertThat(statuses).allSatisfy(s -> assertThat(s.activeJobs()).as(s.addr()).isZero());
      assertThat(byAddr.values()).allSatisfy(t -> assertThat(t.inFlight.get()).isZero());
      assertThat(byAddr.values()).anySatisfy(t -> assertThat(t.peak.get()).isEqualTo(t.maxJobs));
      System.out.printf(
          "priorities: %d leases, by priority %s, peaks %s%n", total, grantedByPriority, byAddr);
    }
  }

  /**
   * A lease, or null when none was had without waiting (an empty {@code tryAcquire}) or the test
   * cancelled its own wait. A wait that ends without a lease is a violation: with these timeouts, a
   * lost waiter.
   */
  private static @Nullable Lease obtain(
      BackendPool pool, Selector selector, Priority priority, int way, ConcurrentRun run)
      throws InterruptedException, ExecutionException {
    AcquireOptions options =
        AcquireOptions.defaults().withPriority(priority).withTimeout(ACQUIRE_TIMEOUT);
    try {
      if (way <= 3) {
        return pool.acquire(ARCH, selector, options);
      }
      if (way <= 5) {
        return pool.tryAcquire(ARCH, selector, options).orElse(null);
      }
      CompletableFuture<Lease> future = pool.acquireAsync(ARCH, selector, options);
      if (way == 9 && future.cancel(false)) {
        return null; // a lease granted meanwhile must find its way back to the pool
      }
      return future.get(HANG_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (NoBackendAvailableException e) {
      run.violation(priority + " wait failed: " + e.getMessage());
      return null;
    } catch (ExecutionException e) {
      run.violation(priority + " async wait failed: " + e.getCause());
      return null;
    } catch (TimeoutException | CancellationException e) {
      run.violation(priority + " async wait never completed: " + e);
      return null;
    }
  }

  /** Counts the job in and out of its backend around a short hold, then ends the lease. */
  private static void job(
      Lease lease,
      PoolStressTest.Tracked tracked,
      SplittableRandom random,
      ConcurrentRun run,
      LongAdder ended) {
    int running = tracked.inFlight.incrementAndGet();
    tracked.peak.accumulateAndGet(running, Math::max);
    if (running > tracked.maxJobs) {
      run.violation(running + " jobs at once on " + lease.backend() + " (" + tracked + ")");
    }
    for (int spin = random.nextInt(64); spin > 0; spin--) {
      Thread.onSpinWait();
    }
    // Out before the slot goes back: after that, another job may rightly take it.
    tracked.inFlight.decrementAndGet();
    lease.close();
    ended.increment();
  }
}
