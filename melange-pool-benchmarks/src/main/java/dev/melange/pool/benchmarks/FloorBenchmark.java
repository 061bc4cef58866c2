package dev.melange.pool.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The physical floors under {@link AcquireReleaseBenchmark}: what the hardware charges for the
 * atomics a lease round trip cannot avoid. Run with 1 and 2 threads ({@code -t}); the threads share
 * the counters, as they share the pool.
 *
 * <ul>
 *   <li>{@code bareFloor}: one atomic increment and one atomic decrement of a single padded
 *       counter. With two threads this is true sharing: both hit the same line.
 *   <li>{@code leaseFloor}: {@link LeaseFloor} over 16 padded counters with four jobs each (the
 *       shape of a 16-backend {@link Fleet}): scan for the lowest counter (stopping at an idle
 *       one), reserve it with a compare-and-set, allocate a lease, end the lease with a
 *       compare-and-set on its flag, decrement. The returned lease keeps the allocation alive.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Benchmark)
public class FloorBenchmark {
  private static final int COUNTERS = 16;

  private final PaddedCounter counter = new PaddedCounter();
  private final LeaseFloor floor = new LeaseFloor(COUNTERS, Fleet.MAX_JOBS);

  @Benchmark
  public int bareFloor() {
    counter.incrementAndGet();
    return counter.decrementAndGet();
  }

  @Benchmark
  public LeaseFloor.Lease leaseFloor() {
    LeaseFloor.Lease lease = floor.tryAcquire();
    if (lease == null) {
      throw new IllegalStateException("all counters full: a lease leaked");
    }
    lease.end();
    return lease;
  }

  @TearDown
  public void checkNothingLeaked() {
    if (counter.get() != 0 || floor.activeJobs() != 0) {
      throw new IllegalStateException(
          "leaked: counter " + counter.get() + ", lease floor " + floor.activeJobs());
    }
  }
}
