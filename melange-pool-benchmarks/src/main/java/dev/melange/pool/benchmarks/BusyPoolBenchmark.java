package dev.melange.pool.benchmarks;

import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The round trip of {@link AcquireReleaseBenchmark} on a busy pool: every backend already runs half
 * its jobs, so no backend is idle and least-loaded must scan all of them (on an idle pool it stops
 * at the first idle backend). This is the worst case of the scan, the one that grows with the
 * number of backends.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class BusyPoolBenchmark {

  @Param({"1", "16", "256", "10000"})
  public int backends;

  @Param({"least-loaded"})
  public String strategy;

  private BackendPool pool;
  private final List<Lease> running = new ArrayList<>();
  private final Selector selector = Selector.any();

  @Setup(Level.Trial)
  public void setUp() {
    if (!strategy.equals("least-loaded")) {
      throw new IllegalArgumentException("unknown strategy: " + strategy);
    }
    pool = Fleet.pool(backends);
    for (int i = 0; i < backends * Fleet.MAX_JOBS / 2; i++) {
      running.add(pool.tryAcquire(Fleet.ARCH, selector).orElseThrow());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    running.forEach(Lease::close);
    pool.close();
  }

  @Benchmark
  public Lease melangePool() throws InterruptedException {
    Lease lease = pool.acquire(Fleet.ARCH, selector);
    lease.recordSuccess();
    return lease;
  }
}
