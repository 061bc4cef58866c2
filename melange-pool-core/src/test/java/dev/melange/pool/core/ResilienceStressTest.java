package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.Priority;
import dev.melange.pool.RateLimit;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads through backends with every resilience policy at once (failure-rate breakers,
 * adaptive token buckets, AIMD and Gradient2 limits), acquiring with and without waiting, at random
 * priorities, while the clock moves: no backend ever holds more than its configured maxJobs, an
 * adaptive limit never leaves [min, maxJobs], buckets never hand out more than they hold, and every
 * lease is given back.
 */
class ResilienceStressTest {
  private static final String ARCH = "x86_64";
  private static final int MAX_JOBS = 4;
  private static final List<String> ADDRS = List.of("tcp://a:1", "tcp://b:1", "tcp://c:1");

  @Test
  void everyPolicyAtOnceKeepsEveryLimitUnderEightThreads() throws Exception {
    FakeTicker ticker = new FakeTicker();
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .acquireTimeout(Duration.ZERO)
            .priorityAging(Duration.ofMillis(5))
            .circuitBreaker(
                new CircuitBreakerPolicy.FailureRate(
                    Duration.ofSeconds(1),
                    4,
                    50,
                    5,
                    50,
                    Duration.ofMillis(20),
                    2,
                    Duration.ofMillis(50),
                    2.0,
                    Duration.ofMillis(400),
                    0))
            .rateLimit(RateLimit.of(2_000, 4).withAdaptive(true))
            .adaptiveLimit(AdaptiveLimit.aimd(1).withLatencyThreshold(Duration.ofMillis(15)))
            .adaptiveLimit("tcp://c:1", AdaptiveLimit.gradient(2));
    for (String addr : ADDRS) {
      builder.backend(Backend.of(addr, ARCH).withMaxJobs(MAX_JOBS));
    }
    AtomicInteger granted = new AtomicInteger();
    try (BackendPool pool = builder.build()) {
      ConcurrentRun run = new ConcurrentRun();
      LeaseChurn churn = new LeaseChurn(run, MAX_JOBS);
      run.run(
          8,
          Duration.ofMinutes(2),
          thread ->
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < 3_000 && !run.failing(); i++) {
                  if (random.nextInt(3) == 0) {
                    ticker.advance(Duration.ofMillis(random.nextInt(0, 10)));
                  }
                  Optional<Lease> got;
                  if (random.nextInt(10) == 0) {
                    got = waitFor(pool, random);
                  } else {
                    got = pool.tryAcquire(ARCH, Selector.any());
                  }
                  if (got.isPresent()) {
                    granted.incrementAndGet();
                    boolean flaky = got.get().backend().addr().equals("tcp://a:1");
                    churn.hold(got.get(), random, flaky ? 40 : 5, 10, true);
                  }
                  if (i % 64 == 0) {
                    check(pool, run);
                  }
                }
                return null;
              });
      run.assertNoViolations("every resilience policy under 8 threads");

      assertThat(granted.get()).as("leases granted").isPositive();
      for (BackendStatus status : pool.status()) {
        assertThat(status.activeJobs()).as(status.addr()).isZero();
        assertThat(status.rateLimiter().accepted())
            .as("%s: each lease took one token", status.addr())
            .isPositive();
      }
      long accepted =
          pool.status().stream().mapToLong(status -> status.rateLimiter().accepted()).sum();
      assertThat(accepted).as("tokens taken, one per lease").isEqualTo(granted.get());
    }
  }

  /** A waiting acquire of a random priority, for a few milliseconds of real time. */
  private static Optional<Lease> waitFor(BackendPool pool, ThreadLocalRandom random)
      throws InterruptedException {
    List<Priority> priorities = List.of(Priority.values());
    Priority priority = priorities.get(random.nextInt(priorities.size()));
    CompletableFuture<Lease> future =
        pool.acquireAsync(
            ARCH,
            Selector.any(),
            AcquireOptions.defaults()
                .withPriority(priority)
                .withTimeout(Duration.ofMillis(random.nextInt(1, 5))));
    try {
      return Optional.of(future.get(1, TimeUnit.MINUTES));
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof NoBackendAvailableException) {
        return Optional.empty();
      }
      throw new CompletionException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("a wait of a few milliseconds never ended", e);
    }
  }

  private static void check(BackendPool pool, ConcurrentRun run) {
    for (BackendStatus status : pool.status()) {
      if (status.activeJobs() > MAX_JOBS) {
        run.violation(status.addr() + " reports " + status.activeJobs() + " active");
      }
      Integer limit = status.adaptiveLimit();
      int min = status.addr().equals("tcp://c:1") ? 2 : 1;
      if (limit == null || limit < min || limit > MAX_JOBS) {
        run.violation(status.addr() + " has adaptive limit " + limit);
      }
      if (status.rateLimiter().availableTokens() > 4 + 1e-9) {
        run.violation(status.addr() + " holds " + status.rateLimiter().availableTokens());
      }
    }
  }
}
