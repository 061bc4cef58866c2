package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test helper: a probe type whose every check waits for the test to answer it, so that a test steps
 * a health check one result at a time. Counts the probes it makes and closes.
 */
final class ControlledProbes implements HealthProbe.Factory {
  final String type;
  final AtomicInteger created = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  private final BlockingQueue<CompletableFuture<HealthProbe.Result>> pending =
      new LinkedBlockingQueue<>();

  private final boolean discovers;

  ControlledProbes(String type) {
    this(type, false);
  }

  /** Probes whose results may report the daemon, so that backends may leave their arch out. */
  ControlledProbes(String type, boolean discovers) {
    this.type = type;
    this.discovers = discovers;
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public boolean discoversArch() {
    return discovers;
  }

  @Override
  public HealthProbe create(Backend backend, HealthCheck check) {
    created.incrementAndGet();
    return new HealthProbe() {
      @Override
      public CompletionStage<Result> check(Duration timeout) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        pending.add(result);
        return result;
      }

      @Override
      public void close() {
        closed.incrementAndGet();
      }
    };
  }

  /** The next check, once it starts, for the test to complete (or not) as it likes. */
  CompletableFuture<HealthProbe.Result> started() throws InterruptedException {
    CompletableFuture<HealthProbe.Result> check = pending.poll(20, TimeUnit.SECONDS);
    if (check == null) {
      throw new AssertionError("no " + type + " check started within 20 s");
    }
    // Handed over once the monitor listens to it, so that the thread that answers it is the one
    // that tells the pools (the monitor attaches its callback just after starting the check).
    Eventually.until(
        type + " check listened to",
        () -> check.getNumberOfDependents() > 0 || check.isDone(),
        check::toString);
    return check;
  }

  /**
   * Answers the next check (waiting for it to start); when this returns, every pool following the
   * check has taken the result.
   */
  void answer(boolean healthy) throws InterruptedException {
    answer(healthy ? HealthProbe.Result.up() : HealthProbe.Result.down("scripted"));
  }

  /** Answers the next check with {@code result}, as {@link #answer(boolean)}. */
  void answer(HealthProbe.Result result) throws InterruptedException {
    CompletableFuture<HealthProbe.Result> check = started();
    check.complete(result);
    // The monitor starts its next check only once every follower has taken this result.
    Eventually.until(type + " check after the answer", () -> !pending.isEmpty(), () -> pending);
  }

  /**
   * A check of this type that probes as often as a check may ({@link HealthCheck#MIN_INTERVAL} from
   * the start of one to the start of the next), and waits a minute for the test to answer.
   */
  HealthCheck check() {
    return HealthCheck.of(type)
        .withInterval(HealthCheck.MIN_INTERVAL)
        .withTimeout(Duration.ofMinutes(1))
        .withJitter(0);
  }
}
