package dev.melange.pool.core;

import dev.melange.pool.Lease;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test helper for stress tests: holds a lease for a moment, counting it against its backend's
 * {@code maxJobs} (a violation of the run if more are held), then ends it with a random outcome.
 */
final class LeaseChurn {
  private final ConcurrentRun run;
  private final int maxJobs;
  private final Map<String, AtomicInteger> holding = new ConcurrentHashMap<>();

  LeaseChurn(ConcurrentRun run, int maxJobs) {
    this.run = run;
    this.maxJobs = maxJobs;
  }

  /**
   * Holds {@code lease}, then records a failure with {@code failurePercent} chance, ends it with no
   * outcome with {@code noOutcomePercent} chance, and records a success otherwise.
   *
   * @param yieldWhileHeld whether to yield now and then while holding it, so that other threads'
   *     outcomes come in meanwhile
   */
  @SuppressWarnings("ThreadPriorityCheck") // yields only to shuffle interleavings, not to wait
  void hold(
      Lease lease,
      ThreadLocalRandom random,
      int failurePercent,
      int noOutcomePercent,
      boolean yieldWhileHeld) {
    String addr = lease.backend().addr();
    AtomicInteger held = holding.computeIfAbsent(addr, key -> new AtomicInteger());
    int now = held.incrementAndGet();
    if (now > maxJobs) {
      run.violation(addr + " holds " + now + " leases");
    }
    if (yieldWhileHeld && random.nextInt(8) == 0) {
      Thread.yield();
    }
    held.decrementAndGet();
    int outcome = random.nextInt(100);
    if (outcome < failurePercent) {
      lease.recordFailure(new IOException("boom"));
    } else if (outcome < failurePercent + noOutcomePercent) {
      lease.close();
    } else {
      lease.recordSuccess();
    }
  }
}
