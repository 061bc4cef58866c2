package dev.melange.pool.benchmarks;

import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
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
 * One acquire and one release through melange-pool's public API, the round trip every job makes.
 * Run it with 1 and 2 threads ({@code -t}); the threads share one pool.
 *
 * <p>The default parameters are every built-in strategy at every fleet size: 32 trials of three
 * forks. {@code run-benchmarks.sh} picks from them with {@code -p}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Benchmark)
public class AcquireReleaseBenchmark {

  /**
   * The {@code strategy} value that acquires with an affinity key under the default strategy
   * (least-loaded), so that the affinity ring picks: one of {@link AffinityKeyedPool#KEYS}.
   */
  static final String AFFINITY = "affinity";

  /** Distinct affinity keys cycled through. */
  static final int AFFINITY_KEYS = AffinityKeyedPool.KEYS;

  /** Backends in the pool, all matching the request. */
  @Param({"1", "16", "256", "10000"})
  public int backends;

  /**
   * A built-in strategy by its {@link BackendPool.Builder#strategy(String) name}, or {@value
   * #AFFINITY}.
   */
  @Param({
    "least-loaded",
    "round-robin",
    "random",
    "weighted-random",
    "power-of-two",
    "weighted-least-request",
    "peak-ewma",
    AFFINITY
  })
  public String strategy;

  private BackendPool pool;
  private final Selector selector = Selector.any();

  @Setup(Level.Trial)
  public void setUp() {
    pool =
        strategy.equals(AFFINITY)
            ? new AffinityKeyedPool(Fleet.pool(backends))
            : Fleet.pool(backends, strategy);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public Lease melangePool() throws InterruptedException {
    Lease lease = pool.acquire(Fleet.ARCH, selector);
    lease.recordSuccess();
    return lease;
  }
}
