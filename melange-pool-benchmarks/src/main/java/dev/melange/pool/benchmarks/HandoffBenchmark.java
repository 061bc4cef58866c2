package dev.melange.pool.benchmarks;

import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hand-off latency: the time from {@code close()} of a lease to the return of a blocked {@code
 * acquire} in another thread that was waiting for its slot. melange-server has no hand-off: its
 * scheduler polls every second.
 *
 * <p>Each invocation starts with the benchmark thread holding the pool's only slot and a second
 * thread, the waiter, parked inside {@code acquire} (the setup waits until the JVM reports it
 * parked). The measured method closes the lease and spins until the waiter reports that {@code
 * acquire} returned; the spin adds the latency of one volatile write becoming visible, well under a
 * microsecond.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class HandoffBenchmark {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private BackendPool pool;
  private Thread waiter;
  private Lease held;

  /** Set by the setup to let the waiter call acquire; cleared by the waiter. */
  private volatile boolean go;

  /** The waiter's lease once its acquire returned; the measured method waits for it. */
  private volatile @Nullable Lease handedOff;

  private volatile boolean running = true;

  @Setup(Level.Trial)
  public void startWaiter() {
    pool =
        BackendPool.builder()
            .backend(Fleet.of(1).get(0).withMaxJobs(1))
            .acquireTimeout(WAIT)
            .build();
    waiter = new Thread(this::waitForLeases, "handoff-waiter");
    waiter.setDaemon(true);
    waiter.start();
    held = pool.tryAcquire(Fleet.ARCH, Selector.any()).orElseThrow();
  }

  private void waitForLeases() {
    while (running) {
      if (!go) {
        Thread.onSpinWait();
        continue;
      }
      go = false;
      try {
        handedOff = pool.acquire(Fleet.ARCH, Selector.any(), WAIT);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The benchmark thread holds the slot; the waiter is parked inside acquire. */
  @Setup(Level.Invocation)
  public void parkTheWaiter() {
    Lease previous = handedOff;
    if (previous != null) {
      handedOff = null;
      previous.close();
      held = pool.tryAcquire(Fleet.ARCH, Selector.any()).orElseThrow();
    }
    go = true;
    while (go || waiter.getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait();
    }
  }

  @Benchmark
  public Lease handoff() {
    held.close();
    Lease lease;
    while ((lease = handedOff) == null) {
      Thread.onSpinWait();
    }
    return lease;
  }

  @TearDown(Level.Trial)
  public void stopWaiter() throws InterruptedException {
    running = false;
    waiter.interrupt();
    waiter.join(TimeUnit.SECONDS.toMillis(10));
    pool.close();
  }
}
