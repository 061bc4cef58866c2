package dev.melange.pool.benchmarks;

import dev.melange.pool.Backend;
import java.util.List;
import java.util.Map;
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
 * The same round trip as {@link AcquireReleaseBenchmark} (one acquire for {@code x86_64} with the
 * empty selector, which matches every backend as {@code Selector.any()} does, then one release with
 * success), through the references melange-pool is measured against, on the same {@link Fleet}. Run
 * with 1 and 2 threads ({@code -t}); the threads share one instance of each.
 *
 * <ul>
 *   <li>{@code melangeServerPort}: {@link MelangeServerPort}, melange-server's pool in Java. Per
 *       call: take the read lock; walk every backend (arch, labels, circuit, capacity); allocate a
 *       candidate list and one candidate per free backend; stable-sort by load; compare-and-set a
 *       job on the first candidate; unlock. Release: decrement, reset the failure count, close the
 *       circuit (two more volatile writes). O(n log n) per acquire, by design of the original.
 *   <li>{@code resilience4j}: {@link Resilience4jComposition}. Per call: a map lookup by arch; a
 *       least-loaded scan over the bulkheads' available permits that stops at an idle backend;
 *       {@code CircuitBreaker.tryAcquirePermission()}; {@code Bulkhead.tryAcquirePermission()} (a
 *       semaphore); {@code System.nanoTime()}; a lease. Release: the lease's end-once
 *       compare-and-set, {@code System.nanoTime()}, {@code Bulkhead.onComplete()}, {@code
 *       CircuitBreaker.onSuccess(duration)} (a count-based sliding window update).
 *   <li>{@code failsafe}: {@link FailsafeComposition}. Per call: a map lookup by arch; a
 *       least-loaded scan over its own per-backend job counts that stops at an idle backend; {@code
 *       CircuitBreaker.tryAcquirePermit()}; {@code Bulkhead.tryAcquirePermit()} (a synchronized
 *       counter); a count increment; a lease. Release: end-once compare-and-set, count decrement,
 *       {@code Bulkhead.releasePermit()}, {@code CircuitBreaker.recordSuccess()} (synchronized).
 * </ul>
 *
 * <p>All three are built in the one trial set-up, so each run carries the other two in its heap;
 * they are idle there. Each run's tear-down fails the trial if a job leaked.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Benchmark)
public class ReferenceBenchmark {

  /** Backends in the fleet, all matching the request. */
  @Param({"1", "16", "256", "10000"})
  public int backends;

  private final Map<String, String> selector = Map.of();

  private MelangeServerPort port;
  private Resilience4jComposition resilience4j;
  private FailsafeComposition failsafe;

  @Setup(Level.Trial)
  public void setUp() {
    List<Backend> fleet = Fleet.of(backends);
    port = new MelangeServerPort(fleet);
    resilience4j = new Resilience4jComposition(fleet);
    failsafe = new FailsafeComposition(fleet);
  }

  @TearDown(Level.Trial)
  public void checkNothingLeaked() {
    if (port.activeJobs() != 0 || resilience4j.activeJobs() != 0 || failsafe.activeJobs() != 0) {
      throw new IllegalStateException(
          "leaked jobs: port "
              + port.activeJobs()
              + ", resilience4j "
              + resilience4j.activeJobs()
              + ", failsafe "
              + failsafe.activeJobs());
    }
  }

  @Benchmark
  public MelangeServerPort.PortBackend melangeServerPort() {
    MelangeServerPort.PortBackend backend = port.acquire(Fleet.ARCH, selector);
    if (backend == null) {
      throw noBackend();
    }
    port.release(backend, true);
    return backend;
  }

  @Benchmark
  public Resilience4jComposition.Lease resilience4j() {
    Resilience4jComposition.Lease lease = resilience4j.acquire(Fleet.ARCH, selector);
    if (lease == null) {
      throw noBackend();
    }
    lease.recordSuccess();
    return lease;
  }

  @Benchmark
  public FailsafeComposition.Lease failsafe() {
    FailsafeComposition.Lease lease = failsafe.acquire(Fleet.ARCH, selector);
    if (lease == null) {
      throw noBackend();
    }
    lease.recordSuccess();
    return lease;
  }

  private static IllegalStateException noBackend() {
    return new IllegalStateException(
        "no available backend: all backends are at capacity or circuit-open");
  }
}
