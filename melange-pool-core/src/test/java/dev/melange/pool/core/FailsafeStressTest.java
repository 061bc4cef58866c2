package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.failsafe.FailsafeCircuitBreakers;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads through a pool whose backends have Failsafe breakers that open, half-open and close
 * all the time, with leases that end with no outcome: no backend ever holds more than its maxJobs,
 * every lease is given back, the last change told of each circuit is Failsafe's state, and no
 * circuit is left stuck (each closes again once its backend succeeds).
 */
class FailsafeStressTest {
  private static final String ARCH = "x86_64";
  private static final int MAX_JOBS = 3;
  private static final String[] NAMES = {"a", "b", "c"};

  @Test
  void failsafeBreakersThatFlapKeepEveryLimitTellTheirLastStateAndNeverStick() throws Exception {
    Map<String, dev.failsafe.CircuitBreaker<?>> breakers = new ConcurrentHashMap<>();
    BackendPool.Builder builder =
        BackendPool.builder()
            .acquireTimeout(Duration.ZERO)
            .circuitBreaker(
                FailsafeCircuitBreakers.factory(
                    backend -> {
                      dev.failsafe.CircuitBreaker<Object> breaker =
                          dev.failsafe.CircuitBreaker.builder()
                              .withFailureThreshold(3, 5)
                              .withSuccessThreshold(2, 3)
                              .withDelay(Duration.ofMillis(2))
                              .build();
                      breakers.put(backend.addr(), breaker);
                      return breaker;
                    }));
    for (String name : NAMES) {
      String addr = "tcp://" + name + ":1";
      builder.backend(
          Backend.of(addr, ARCH).withMaxJobs(MAX_JOBS).withLabels(Map.of("name", name)));
    }
    Map<String, String> lastTold = new ConcurrentHashMap<>();
    AtomicInteger opened = new AtomicInteger();
    try (BackendPool pool = builder.build()) {
      pool.subscribe(
          event -> {
            if (event instanceof PoolEvent.CircuitOpened e) {
              opened.incrementAndGet();
              lastTold.put(e.addr(), "OPEN");
            } else if (event instanceof PoolEvent.CircuitHalfOpened e) {
              lastTold.put(e.addr(), "HALF_OPEN");
            } else if (event instanceof PoolEvent.CircuitClosed e) {
              lastTold.put(e.addr(), "CLOSED");
            }
          });
      ConcurrentRun run = new ConcurrentRun();
      LeaseChurn churn = new LeaseChurn(run, MAX_JOBS);
      run.run(
          8,
          Duration.ofMinutes(2),
          thread ->
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                // Leases, not attempts: while every circuit is open, attempts are all refused.
                long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                int leases = 0;
                while (leases < 3_000 && System.nanoTime() < deadline && !run.failing()) {
                  Optional<Lease> got = pool.tryAcquire(ARCH, Selector.any());
                  if (got.isEmpty()) {
                    Thread.onSpinWait();
                    continue;
                  }
                  leases++;
                  boolean flaky = got.get().backend().addr().equals("tcp://a:1");
                  churn.hold(got.get(), random, flaky ? 50 : 20, 20, true);
                }
                return null;
              });
      run.assertNoViolations("Failsafe breakers under 8 threads");

      assertThat(opened.get()).as("circuits opened during the run").isPositive();
      for (String name : NAMES) {
        String addr = "tcp://" + name + ":1";
        assertThat(PoolStatus.of(pool, addr).activeJobs()).as(addr).isZero();
        dev.failsafe.CircuitBreaker<?> breaker = breakers.get(addr);
        String state = breaker.getState().name();
        Eventually.until(
            "the last change told of " + addr + " to be Failsafe's state, " + state,
            () -> state.equals(lastTold.getOrDefault(addr, "CLOSED")),
            () -> lastTold);
        // Not stuck: once the delay has passed, trials that succeed close it.
        Eventually.until(
            addr + "'s circuit to close",
            () -> {
              pool.tryAcquire(ARCH, Selector.parse("name=" + name)).ifPresent(Lease::recordSuccess);
              return breaker.isClosed();
            },
            () -> breaker.getState() + ", " + PoolStatus.of(pool, addr));
      }
    }
  }
}
