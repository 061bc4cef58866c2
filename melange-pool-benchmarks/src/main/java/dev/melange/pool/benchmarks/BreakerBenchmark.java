package dev.melange.pool.benchmarks;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.RateLimit;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The round trip of {@link AcquireReleaseBenchmark} (16 backends, least-loaded) with resilience
 * policies compiled in: the {@code failure-rate} circuit breaker instead of the default consecutive
 * one ({@code failure-rate}); that breaker behind a token bucket too fast ever to refuse, so what
 * is measured is the bucket's cost ({@code rate-limited}); an AIMD adaptive limit (timed leases,
 * one sample per release; {@code adaptive}); and all three ({@code all}). The reference document's
 * resilience layer costs about 350 ns a request.
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

  @Param({"failure-rate", "rate-limited", "adaptive", "all"})
  public String policy;

  @Setup(Level.Trial)
  public void setUp() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .acquireTimeout(Duration.ofSeconds(10))
            .circuitBreaker(CircuitBreakerPolicy.FailureRate.defaults());
    if (policy.equals("rate-limited") || policy.equals("all")) {
      builder.rateLimit(RateLimit.of(1e9, RateLimit.MAX_BURST).withAdaptive(true));
    }
    if (policy.equals("adaptive") || policy.equals("all")) {
      builder.adaptiveLimit(AdaptiveLimit.aimd(1));
    }
    Fleet.of(16).forEach(builder::backend);
    pool = builder.build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public Lease roundTrip() throws InterruptedException {
    Lease lease = pool.acquire(Fleet.ARCH, selector);
    lease.recordSuccess();
    return lease;
  }
}
