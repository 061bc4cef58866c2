package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.core.config.StrategySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every strategy, and affinity keys, under 8 threads at once while a backend ramps up after being
 * added and another is cordoned back and forth: each job counts itself in and out of its backend,
 * and no count may pass the backend's maxJobs; at the end every backend is idle. No assertion
 * depends on timing.
 */
class StrategyStressTest {
  private static final int THREADS = 8;
  private static final int LEASES_PER_THREAD = 4_000;
  private static final String ARCH = "x86_64";

  /** Every built-in strategy, and "affinity": the default strategy with a key per acquire. */
  static List<String> strategies() {
    List<String> all = new ArrayList<>(StrategySettings.NAMES);
    all.add("affinity");
    return all;
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void leasesStayWithinMaxJobsAndAllComeBack(String strategy) throws Exception {
    boolean affinity = strategy.equals("affinity");
    BackendPool.Builder builder =
        BackendPool.builder()
            .strategy(affinity ? "least-loaded" : strategy)
            .slowStart(Duration.ofMillis(50))
            // Circuits open now and then and recover quickly: waiters held back by them are woken
            // by the pool's timer, which this exercises too.
            .failureThreshold(3)
            .recoveryTimeout(Duration.ofMillis(2))
            .acquireTimeout(Duration.ofSeconds(30));
    Map<String, Integer> maxJobs = new ConcurrentHashMap<>();
    for (int i = 0; i < 5; i++) {
      Backend backend =
          new Backend(
              "tcp://b" + i + ":1",
              ARCH,
              1 + i % 3,
              Map.of("tier", i % 2 == 0 ? "even" : "odd"),
              1 + i,
              i == 4);
      builder.backend(backend);
      maxJobs.put(backend.addr(), backend.maxJobs());
    }
    List<Selector> selectors = List.of(Selector.any(), Selector.parse("tier=even"));
    Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    AtomicInteger violations = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(THREADS + 1);
    try (BackendPool pool = builder.build()) {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        long seed = t;
        jobs.add(
            executor.submit(
                () -> {
                  SplittableRandom random = new SplittableRandom(seed);
                  for (int i = 0; i < LEASES_PER_THREAD; i++) {
                    AcquireOptions options =
                        affinity
                            ? AcquireOptions.defaults().withAffinityKey("k" + random.nextInt(50))
                            : AcquireOptions.defaults();
                    Selector selector = selectors.get(random.nextInt(selectors.size()));
                    try (Lease lease = pool.acquire(ARCH, selector, options)) {
                      String addr = lease.backend().addr();
                      int now =
                          inFlight
                              .computeIfAbsent(addr, a -> new AtomicInteger())
                              .incrementAndGet();
                      if (now > maxJobs.get(addr)) {
                        violations.incrementAndGet();
                      }
                      inFlight.get(addr).decrementAndGet();
                      if (random.nextInt(10) == 0) {
                        lease.recordFailure(new Exception("failed"));
                      } else {
                        lease.recordSuccess();
                      }
                    }
                  }
                  return null;
                }));
      }
      jobs.add(
          executor.submit(
              () -> {
                Backend added = Backend.of("tcp://late:1", ARCH).withMaxJobs(3);
                maxJobs.put(added.addr(), 3);
                pool.add(added);
                for (int round = 0; round < 200; round++) {
                  pool.cordon("tcp://b1:1");
                  pool.uncordon("tcp://b1:1");
                }
                return null;
              }));
      for (Future<?> job : jobs) {
        job.get(2, TimeUnit.MINUTES);
      }
      assertThat(violations).hasValue(0);
      assertThat(pool.status()).extracting(BackendStatus::activeJobs).containsOnly(0);
    } finally {
      executor.shutdownNow();
    }
  }
}
