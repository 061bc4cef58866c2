package dev.melange.pool.core.health;

import dev.melange.pool.DaemonInfo;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.spi.HealthProbe;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of one physical backend under one check: its probe, run every interval on the shared
 * scheduler with never two in flight, the {@link HealthModel} that turns results into health, and
 * the slots (of any number of pools) that follow it. Made and ended by {@link HealthService}.
 */
public final class HealthMonitor {
  private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

  /** Told each change of health, with a version that grows with each change. */
  public interface Subscriber {
    void observed(Health health, long version);

    /** Told, before the health it comes with, when the probe learns something new of the daemon. */
    default void discovered(DaemonInfo daemon) {}
  }

  public final MonitorKey key;
  private final HealthProbe probe;
  private final ScheduledExecutorService scheduler;
  private final long intervalNanos;
  private final long jitterNanos;
  private final long timeoutNanos;
  private final String timeoutText;

  /** Guarded by {@code this}. */
  private final HealthModel model;

  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

  /** Guarded by {@code this}: bumped with each change of health. */
  private long version;

  /** Guarded by {@code this}: the next probe, scheduled; null while one is in flight. */
  private @Nullable Future<?> next;

  /** Guarded by {@code this}: the check in flight, or null. */
  private @Nullable CompletionStage<HealthProbe.Result> inFlight;

  /** Guarded by {@code this}. */
  private boolean stopped;

  private volatile @Nullable Instant lastProbe;
  private volatile @Nullable String lastResult;

  /** What the probe last learned about the daemon, or null if it never said. */
  private volatile @Nullable DaemonInfo daemon;

  /** The model's score after the last probe (NaN when it gives none, or before any probe). */
  private volatile double score = Double.NaN;

  private final AtomicLong probes = new AtomicLong();

  public HealthMonitor(
      MonitorKey key,
      HealthProbe probe,
      ScheduledExecutorService scheduler,
      @Nullable Health seed) {
    HealthCheck check = key.check();
    this.key = key;
    this.probe = probe;
    this.scheduler = scheduler;
    this.intervalNanos = check.interval().toNanos();
    this.jitterNanos = (long) (intervalNanos * (check.jitter() / 100));
    this.timeoutNanos = check.timeout().toNanos();
    this.timeoutText = "timed out after " + GoDuration.format(check.timeout());
    this.model = seed == null ? new HealthModel(check) : new HealthModel(check, seed);
  }

  /** Runs the first probe now. */
  public synchronized void start() {
    next = schedule(this::probe, 0);
  }

  /** Adds a follower; returns the health now, and its version, for it to start from. */
  synchronized Observation add(Subscriber subscriber) {
    subscribers.add(subscriber);
    return new Observation(model.health(), version);
  }

  /** Removes a follower; true when none is left. */
  synchronized boolean remove(Subscriber subscriber) {
    subscribers.remove(subscriber);
    return subscribers.isEmpty();
  }

  /**
   * Stops probing for good: the next probe does not start, the one in flight (if any) is cancelled,
   * and the probe is closed. No check starts after this returns.
   */
  public void stop() {
    Future<?> pending;
    CompletionStage<HealthProbe.Result> running;
    synchronized (this) {
      stopped = true;
      pending = next;
      next = null;
      running = inFlight;
      inFlight = null;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    if (running != null) {
      running.toCompletableFuture().cancel(true);
    }
    try {
      probe.close();
    } catch (Exception e) {
      log.warn("closing the {} probe of {} failed", key.check().type(), key.addr(), e);
    }
  }

  public @Nullable Instant lastProbe() {
    return lastProbe;
  }

  /** The health score, 0–1: the window model's share of passed probes; NaN for none yet. */
  public double score() {
    return score;
  }

  public @Nullable String lastResult() {
    return lastResult;
  }

  /** What the probe last learned about the daemon, or null if it never said. */
  @Nullable
  public DaemonInfo daemon() {
    return daemon;
  }

  /** Probes run so far (started, whatever their end). */
  public long probes() {
    return probes.get();
  }

  private void probe() {
    long started = System.nanoTime();
    CompletionStage<HealthProbe.Result> check;
    synchronized (this) {
      if (stopped) {
        return;
      }
      // Started under the lock, so that stop() either comes first (no check) or sees it in
      // flight (and cancels it). The SPI's check returns at once; its callbacks are attached
      // below, outside the lock, so a check that completes at once runs them there.
      try {
        check = probe.check(key.check().timeout());
      } catch (RuntimeException e) {
        check = CompletableFuture.failedFuture(e);
      }
      inFlight = check;
      probes.incrementAndGet();
    }
    // The ending is attached before the check's callback, so that whoever completes the check
    // runs the ending too (a test can then hold the answering thread where it tells the pools).
    CompletableFuture<HealthProbe.Result> outcome = new CompletableFuture<>();
    CompletionStage<HealthProbe.Result> timed = check;
    Future<?> timeout =
        schedule(
            () -> {
              if (outcome.complete(HealthProbe.Result.down(timeoutText))) {
                timed.toCompletableFuture().cancel(true);
              }
            },
            timeoutNanos);
    CompletableFuture<Void> unusedEnd =
        outcome.thenAccept(
            result -> {
              if (timeout != null) {
                timeout.cancel(false);
              }
              finish(result, started);
            });
    CompletionStage<HealthProbe.Result> unused =
        check.whenComplete(
            (result, failure) ->
                outcome.complete(
                    result != null ? result : HealthProbe.Result.down(ProbeFailures.why(failure))));
  }

  private void finish(HealthProbe.Result result, long started) {
    List<Subscriber> told = List.of();
    Health after;
    long changed = 0;
    DaemonInfo learned = result.daemon();
    List<Subscriber> informed = List.of();
    synchronized (this) {
      if (stopped) {
        return;
      }
      inFlight = null;
      lastProbe = Instant.now();
      lastResult = result.detail();
      if (learned != null && !learned.equals(daemon)) {
        // Set before anyone is told, so that a follower joining meanwhile reads it.
        daemon = learned;
        informed = List.copyOf(subscribers);
      }
      Health before = model.health();
      after = model.record(result.healthy());
      score = model.score();
      if (after != before) {
        changed = ++version;
        told = List.copyOf(subscribers);
      }
    }
    if (changed != 0) {
      if (after == Health.UNHEALTHY) {
        log.warn("backend {} is unhealthy: {}", key.addr(), result.detail());
      } else {
        log.info("backend {} is healthy: {}", key.addr(), result.detail());
      }
    }
    // The daemon first: a pool places a backend (or holds it out) before its health lets it in.
    for (Subscriber subscriber : informed) {
      try {
        subscriber.discovered(Objects.requireNonNull(learned));
      } catch (RuntimeException e) {
        log.error("a pool failed to take what the probe learned of {}", key.addr(), e);
      }
    }
    // Told before the next probe is scheduled: a probe starts only once every follower has taken
    // the result before it.
    for (Subscriber subscriber : told) {
      try {
        subscriber.observed(after, changed);
      } catch (RuntimeException e) {
        log.error("a pool failed to take the health of {}", key.addr(), e);
      }
    }
    long jitter = jitterNanos == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitterNanos + 1);
    long delay = Math.max(0, intervalNanos + jitter - (System.nanoTime() - started));
    synchronized (this) {
      if (!stopped) {
        next = schedule(this::probe, delay);
      }
    }
  }

  private @Nullable Future<?> schedule(Runnable task, long delayNanos) {
    try {
      return scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      return null;
    }
  }

  /** A monitor's health at a version, for a new follower to start from. */
  public record Observation(Health health, long version) {}

  @Override
  public String toString() {
    return key.check().type() + " check of " + key.addr();
  }
}
