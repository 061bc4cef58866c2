package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.breaker.ConsecutiveFailuresCircuitBreaker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Regressions found by review: each test failed before its fix. */
class ConcurrencyRegressionTest {
  private static final String X86 = "x86_64";
  private static final Selector ON_A = Selector.parse("name=a");
  private static final Selector ON_B = Selector.parse("name=b");
  private static final Duration LONG_WAIT = Duration.ofMinutes(1);

  /** Ticker that moves 1ns on every read, like a real clock would between two reads. */
  static final class SteppingTicker implements Ticker {
    final AtomicLong nanos = new AtomicLong();

    @Override
    public long read() {
      return nanos.getAndIncrement();
    }
  }

  private static int active(BackendPool pool, String addr) {
    for (BackendStatus s : pool.status()) {
      if (s.addr().equals(addr)) {
        return s.activeJobs();
      }
    }
    throw new AssertionError(addr);
  }

  /**
   * Finding 1: the drain's scan sees the circuit still open (isAdmitting false), the snapshot read
   * a moment later sees the recovery elapsed (HALF_OPEN, nanosUntilRetry 0); nanosUntilRetry()
   * drops 0, so no re-check is scheduled and nothing ever wakes the waiter.
   */
  @Test
  void recoveryElapsingBetweenScanAndSnapshotLosesTheWakeUp() throws Exception {
    SteppingTicker ticker = new SteppingTicker();
    long recovery = Duration.ofSeconds(1).toNanos();
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://a:1234", X86, 1, Map.of("name", "a")))
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofNanos(recovery))
            .ticker(ticker)
            .build()) {
      Lease first = pool.tryAcquire(X86, ON_A).orElseThrow();
      long openedAt = ticker.nanos.get(); // onFailure's single read returns this value
      first.recordFailure(new IOException("down"));
      // Reads that follow: fast-path scan, drain scan, snapshot (R: remaining 0).
      ticker.nanos.set(openedAt + recovery - 2);
      CompletableFuture<Lease> waiting = pool.acquireAsync(X86, ON_A, LONG_WAIT);
      // The clock keeps moving (every read) and a trial is free: a re-check must serve it.
      assertThat(waiting.get(30, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://a:1234");
    }
  }

  /**
   * Finding 3: a breaker that throws (SPI contract broken) inside drainLocked loses the grants
   * already made in that pass: the other waiter's lease is reserved forever and its future never
   * completes; and an unrelated lease.close() throws.
   */
  @Test
  void throwingBreakerInDrainLeaksAnotherWaitersLease() throws Exception {
    AtomicInteger bMode = new AtomicInteger(1);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://a:1234", X86, 1, Map.of("name", "a")))
            .backend(new Backend("tcp://b:1234", X86, 1, Map.of("name", "b")))
            .circuitBreaker(
                (backend, t) ->
                    backend.addr().contains("b")
                        ? new Hooked(bMode, new AtomicReference<>())
                        : Hooked.plain())
            .build()) {
      Lease onA = pool.tryAcquire(X86, ON_A).orElseThrow();
      CompletableFuture<Lease> waitA = pool.acquireAsync(X86, ON_A, LONG_WAIT);
      CompletableFuture<Lease> waitB = pool.acquireAsync(X86, ON_B, LONG_WAIT); // b refuses now
      assertThat(waitB).isNotDone();
      bMode.set(2);
      onA.close(); // B's broken breaker must fail only B's waiter, not A's release or A's waiter
      assertThat(waitA.get(30, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://a:1234");
      assertThatThrownBy(() -> waitB.get(30, TimeUnit.SECONDS)).hasRootCauseMessage("boom");
      assertThat(active(pool, "tcp://a:1234")).isEqualTo(1);
    }
  }

  /** Finding 4: tryAcquirePermit throwing after the CAS leaks the reservation forever. */
  @Test
  void throwingPermitLeaksReservation() {
    AtomicInteger mode = new AtomicInteger(0);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://a:1234", X86, 1, Map.of("name", "a")))
            .circuitBreaker((backend, t) -> new Hooked(mode, new AtomicReference<>()))
            .build()) {
      mode.set(3); // isAdmitting true, tryAcquirePermit throws
      assertThatThrownBy(() -> pool.tryAcquire(X86, ON_A)).hasMessageContaining("boom");
      mode.set(0);
      assertThat(active(pool, "tcp://a:1234")).as("no lease is out").isZero();
    }
  }

  /**
   * Finding 5: a release whose drain request lands while another thread holds the queue lock is
   * served only after that thread has run its completions (user callbacks). Meanwhile the freed
   * slot sits free and its waiter stays parked. The hook in A's breaker only forces the preemption
   * that can happen naturally there.
   */
  @Test
  void drainRequestWaitsForAnotherThreadsCallbacks() throws Exception {
    AtomicReference<Runnable> hook = new AtomicReference<>();
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://a:1234", X86, 1, Map.of("name", "a")))
            .backend(new Backend("tcp://b:1234", X86, 1, Map.of("name", "b")))
            .circuitBreaker(
                (backend, t) ->
                    backend.addr().contains("a")
                        ? new Hooked(new AtomicInteger(), hook)
                        : Hooked.plain())
            .build()) {
      Lease onA = pool.tryAcquire(X86, ON_A).orElseThrow();
      Lease onB = pool.tryAcquire(X86, ON_B).orElseThrow();
      CompletableFuture<Lease> waitB = pool.acquireAsync(X86, ON_B, LONG_WAIT); // older
      CompletableFuture<Lease> waitA = pool.acquireAsync(X86, ON_A, LONG_WAIT);
      List<String> seenInCallback = new ArrayList<>();
      CompletableFuture<Void> callback =
          waitA.thenAccept(
              lease -> {
                // Slow user work in the callback (up to 10 s): meanwhile B's freed slot must
                // already
                // be reserved for B's waiter, though completing B's future waits for this callback.
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < end && active(pool, "tcp://b:1234") == 0) {
                  Thread.onSpinWait();
                }
                seenInCallback.add("b active=" + active(pool, "tcp://b:1234"));
              });
      hook.set(
          () -> {
            hook.set(null);
            Thread other = new Thread(onB::close); // releases b while we hold the queue lock
            other.start();
            try {
              other.join();
            } catch (InterruptedException e) {
              throw new AssertionError(e);
            }
          });
      onA.close(); // drains: waitB (b full), waitA (a free: permit hook runs), then callbacks
      callback.get(30, TimeUnit.SECONDS);
      assertThat(seenInCallback).containsExactly("b active=1");
      assertThat(waitB.get(30, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://b:1234");
    }
  }

  /**
   * Finding 2 (stress): an onFailure that read the word before two transitions writes an Opening of
   * an old epoch over the current one; the circuit then never admits a trial again.
   */
  @Test
  void staleOpeningWriteCanWedgeTheBreaker() throws Exception {
    // Before the fix this wedged in the first round; ten rounds, a few seconds at most.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (int round = 1; round <= 10 && System.nanoTime() < deadline; round++) {
      ConsecutiveFailuresCircuitBreaker breaker =
          new ConsecutiveFailuresCircuitBreaker(Ticker.system(), 1, Duration.ZERO);
      int threads = 8;
      List<Thread> all = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Thread t =
            new Thread(
                () -> {
                  IOException x = new IOException("x");
                  for (int k = 0; k < 20_000; k++) {
                    long p = breaker.tryAcquirePermit();
                    if (p < 0) {
                      continue;
                    }
                    if ((p & 1) != 0 && (k & 1) == 0) {
                      breaker.onSuccess(p); // trial success closes: closed epochs recur
                    } else {
                      breaker.onFailure(p, x);
                    }
                  }
                });
        all.add(t);
        t.start();
      }
      for (Thread t : all) {
        t.join();
      }
      // No lease is out and recovery is 0: a trial must be available.
      assertThat(breaker.tryAcquirePermit()).as("round %d: a trial is free", round).isNotNegative();
    }
  }

  /** Finding 6: callbacks that close their lease recurse one drain per waiter. */
  @Test
  void chainOfCallbacksThatCloseRecursesPerWaiter() throws Exception {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(new Backend("tcp://a:1234", X86, 1, Map.of("name", "a")))
            .build()) {
      Lease held = pool.tryAcquire(X86, ON_A).orElseThrow();
      int n = 5_000; // the stack overflowed at about 700 before the fix
      List<CompletableFuture<Void>> chained = new ArrayList<>();
      List<CompletableFuture<Lease>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        CompletableFuture<Lease> f = pool.acquireAsync(X86, ON_A, LONG_WAIT);
        futures.add(f);
        chained.add(f.thenAccept(Lease::close));
      }
      Throwable thrown = null;
      try {
        held.close();
      } catch (Throwable t) {
        thrown = t;
      }
      assertThat(thrown).isNull();
      CompletableFuture.allOf(chained.toArray(new CompletableFuture<?>[0]))
          .get(60, TimeUnit.SECONDS);
      long failed = chained.stream().filter(CompletableFuture::isCompletedExceptionally).count();
      long pending = futures.stream().filter(f -> !f.isDone()).count();
      assertThat(failed).isZero();
      assertThat(pending).isZero();
      assertThat(active(pool, "tcp://a:1234")).isZero();
    }
  }

  /** Test breaker: mode 0 admits, 1 refuses (isAdmitting false), 2 throws everywhere. */
  static final class Hooked extends ScriptedCircuitBreaker {
    final AtomicInteger mode;
    final AtomicReference<Runnable> permitHook;

    Hooked(AtomicInteger mode, AtomicReference<Runnable> hook) {
      super(true, 0, State.CLOSED);
      this.mode = mode;
      this.permitHook = hook;
    }

    static Hooked plain() {
      return new Hooked(new AtomicInteger(), new AtomicReference<>());
    }

    @Override
    public boolean isAdmitting() {
      int m = mode.get();
      if (m == 2) {
        throw new IllegalStateException("boom");
      }
      return m == 0 || m == 3;
    }

    @Override
    public long tryAcquirePermit() {
      int m = mode.get();
      if (m == 2 || m == 3) {
        throw new IllegalStateException("boom");
      }
      if (m == 1) {
        return REFUSED;
      }
      Runnable r = permitHook.get();
      if (r != null) {
        r.run();
      }
      return 0;
    }
  }
}
