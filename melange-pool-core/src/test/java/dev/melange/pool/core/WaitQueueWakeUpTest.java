package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.spi.CircuitBreaker;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Waiters are woken whenever a lease could be had: two wake-ups that {@link PoolStressTest} found
 * missing, pinned down as deterministic examples.
 */
class WaitQueueWakeUpTest {
  private static final String X86 = "x86_64";
  private static final Selector ON_A = Selector.parse("name=a");
  private static final Selector ON_B = Selector.parse("name=b");
  private static final Duration LONG_WAIT = Duration.ofMinutes(1);

  /**
   * Two open circuits recovering at different times: the re-check the pool schedules for the first
   * must, when it finds the second still open, schedule another one for it. It used to keep itself
   * as the pending re-check (it was running, so not yet done), and the second waiter was never
   * woken.
   */
  @Test
  void waiterHeldBackByTheLaterOfTwoOpenCircuitsIsServedWhenItRecovers() throws Exception {
    FakeTicker ticker = new FakeTicker();
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://a:1234", X86, 1, Map.of("name", "a")))
            .backend(new Backend("tcp://b:1234", X86, 1, Map.of("name", "b")))
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofMillis(200))
            .ticker(ticker)
            .build()) {
      pool.tryAcquire(X86, ON_A).orElseThrow().recordFailure(new IOException("a fails"));
      ticker.advance(Duration.ofMillis(100));
      pool.tryAcquire(X86, ON_B).orElseThrow().recordFailure(new IOException("b fails"));
      CompletableFuture<Lease> waitingForA = pool.acquireAsync(X86, ON_A, LONG_WAIT);
      CompletableFuture<Lease> waitingForB = pool.acquireAsync(X86, ON_B, LONG_WAIT);
      assertThat(waitingForA).isNotDone();
      assertThat(waitingForB).isNotDone();

      ticker.advance(Duration.ofMillis(100)); // a may take a trial now; b in 100ms
      Lease onA = waitingForA.get(10, TimeUnit.SECONDS);
      assertThat(onA.backend().addr()).isEqualTo("tcp://a:1234");
      assertThat(waitingForB).isNotDone();

      ticker.advance(Duration.ofMillis(100)); // b may take a trial now
      Lease onB = waitingForB.get(10, TimeUnit.SECONDS);
      assertThat(onB.backend().addr()).isEqualTo("tcp://b:1234");
      onA.recordSuccess();
      onB.recordSuccess();
      assertThat(pool.status()).allSatisfy(s -> assertThat(s.circuitOpen()).isFalse());
    }
  }

  /**
   * A breaker may say it admits and then refuse the permit ({@link CircuitBreaker#isAdmitting()} is
   * only a hint; the default breaker does so when another caller takes the half-open trial first).
   * Giving the reserved slot back must not start a second drain of the queue inside the one that is
   * running on the same thread: that recursed without end here, and with a breaker that refuses
   * only sometimes it edits the queue under the running drain's iterator.
   */
  @Test
  void breakerThatAdmitsButRefusesDoesNotDrainTheQueueWithinItsOwnDrain() throws Exception {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://steady:1234", X86, 1, Map.of()))
            .backend(new Backend("tcp://flaky:1234", X86, 1, Map.of()))
            .circuitBreaker(
                (backend, ticker) ->
                    backend.addr().contains("flaky")
                        ? ScriptedCircuitBreaker.admitsThenRefuses()
                        : ScriptedCircuitBreaker.neverOpens())
            .build()) {
      Lease held = pool.tryAcquire(X86, Selector.any()).orElseThrow();
      assertThat(held.backend().addr()).isEqualTo("tcp://steady:1234");

      CompletableFuture<Lease> waiting = pool.acquireAsync(X86, Selector.any(), LONG_WAIT);
      assertThat(waiting).isNotDone();
      assertThat(pool.status()).allSatisfy(s -> assertThat(s.activeJobs()).isLessThanOrEqualTo(1));

      held.recordSuccess();
      Lease next = waiting.get(10, TimeUnit.SECONDS);
      assertThat(next.backend().addr()).isEqualTo("tcp://steady:1234");
      next.close();
      assertThat(pool.status()).allSatisfy(s -> assertThat(s.activeJobs()).isZero());
    }
  }
}
