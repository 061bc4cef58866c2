package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.spi.CircuitBreaker.State;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads through pools whose backends have failure-rate breakers that open and close all the
 * time: no backend ever holds more than its maxJobs, every lease is given back, and no circuit is
 * left stuck (each closes again once its backend succeeds).
 */
class FailureRateStressTest {
  private static final String ARCH = "x86_64";
  private static final int MAX_JOBS = 2;
  private static final String[] NAMES = {"a", "b", "c"};

  @Test
  void breakersThatFlapKeepEveryLimitAndNeverStick() throws Exception {
    FakeTicker ticker = new FakeTicker();
    CircuitBreakerPolicy.FailureRate policy =
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
            0);
    BackendPool.Builder builder =
        BackendPool.builder().ticker(ticker).circuitBreaker(policy).acquireTimeout(Duration.ZERO);
    for (String name : NAMES) {
      builder.backend(
          Backend.of("tcp://" + name + ":1", ARCH)
              .withMaxJobs(MAX_JOBS)
              .withLabels(Map.of("name", name)));
    }
    AtomicInteger opened = new AtomicInteger();
    try (BackendPool pool = builder.build()) {
      pool.subscribe(
          event -> {
            if (event instanceof dev.melange.pool.PoolEvent.CircuitOpened) {
              opened.incrementAndGet();
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
                for (int i = 0; i < 5_000 && !run.failing(); i++) {
                  Optional<Lease> got = pool.tryAcquire(ARCH, Selector.any());
                  if (random.nextInt(4) == 0) {
                    ticker.advance(Duration.ofMillis(random.nextInt(1, 30)));
                  }
                  if (got.isEmpty()) {
                    continue;
                  }
                  boolean flaky = got.get().backend().addr().equals("tcp://a:1");
                  churn.hold(got.get(), random, flaky ? 60 : 10, 10, false);
                }
                return null;
              });
      run.assertNoViolations("failure-rate breakers under 8 threads");

      assertThat(opened.get()).as("circuits opened during the run").isPositive();
      for (String name : NAMES) {
        String addr = "tcp://" + name + ":1";
        assertThat(PoolStatus.of(pool, addr).activeJobs()).as(addr).isZero();
        // Not stuck: past the longest wait, trials that succeed close it.
        for (int attempt = 0;
            attempt < 10 && PoolStatus.of(pool, addr).circuitState() != State.CLOSED;
            attempt++) {
          ticker.advance(Duration.ofMillis(400));
          pool.tryAcquire(ARCH, Selector.parse("name=" + name)).ifPresent(Lease::recordSuccess);
        }
        assertThat(PoolStatus.of(pool, addr).circuitState()).as(addr).isEqualTo(State.CLOSED);
      }
    }
  }
}
