package dev.melange.pool.benchmarks;

import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The round trip of {@link AcquireReleaseBenchmark} (16 backends, least-loaded) with the {@code
 * failure-rate} circuit breaker instead of the default consecutive one: what its rolling window
 * costs per lease. The reference document's resilience layer costs about 350 ns a request.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Benchmark)
public class BreakerBenchmark {
  private BackendPool pool;
  private final Selector selector = Selector.any();

  @Setup(Level.Trial)
  public void setUp() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .acquireTimeout(Duration.ofSeconds(10))
            .circuitBreaker(CircuitBreakerPolicy.FailureRate.defaults());
    Fleet.of(16).forEach(builder::backend);
    pool = builder.build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public Lease failureRate() throws InterruptedException {
    Lease lease = pool.acquire(Fleet.ARCH, selector);
    lease.recordSuccess();
    return lease;
  }
}
