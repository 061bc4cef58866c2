package dev.melange.pool.core;

import dev.melange.pool.AdminState;
import dev.melange.pool.Health;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.spi.CircuitBreaker;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's subscribers and the one thread that delivers their events, in order. Publishing is a
 * no-op while nobody listens, so the pool calls it freely; with listeners, the causing thread only
 * stamps the event and hands it over. Which architectures are all down is worked out on the event
 * thread too, from the pool's state when a change could have altered it.
 */
final class PoolEvents {
  private static final Logger log = LoggerFactory.getLogger(PoolEvents.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Events waiting for delivery beyond which new ones are dropped (and counted). */
  static final int MAX_PENDING = 10_000;

  /** The pool's topology now, to judge whether an arch is down. */
  private final Supplier<Topology> topology;

  private final CopyOnWriteArrayList<Consumer<PoolEvent>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong dropped = new AtomicLong();

  /** Event thread only: the architectures last seen all down. */
  private final Map<String, Boolean> down = new HashMap<>();

  /** Guarded by {@code this}; started with the first subscriber. */
  private @Nullable ThreadPoolExecutor thread;

  PoolEvents(Supplier<Topology> topology) {
    this.topology = topology;
  }

  boolean active() {
    return !listeners.isEmpty();
  }

  AutoCloseable subscribe(Consumer<PoolEvent> listener) {
    Consumer<PoolEvent> subscriber = Objects.requireNonNull(listener, "listener");
    // Each subscription its own object, so that closing one handle never removes another's.
    Consumer<PoolEvent> subscription = event -> subscriber.accept(event);
    synchronized (this) {
      if (thread == null) {
        thread = newThread();
      }
      boolean first = listeners.isEmpty();
      // Listening first, then the baseline: a change from now on waits for this monitor in
      // checkArch, and so is judged against the baseline queued here.
      listeners.add(subscription);
      if (first) {
        Map<String, Boolean> now = new HashMap<>();
        for (String arch : topology.get().architectures) {
          Boolean isDown = isDown(arch);
          if (isDown != null) {
            now.put(arch, isDown);
          }
        }
        onEventThread(
            () -> {
              down.clear();
              down.putAll(now);
            });
      }
    }
    return () -> listeners.remove(subscription);
  }

  /** Delivers the event made by {@code event}, if anyone listens (only then is it made). */
  void publish(Supplier<PoolEvent> event) {
    if (active()) {
      PoolEvent made = event.get();
      onEventThread(() -> deliver(made));
    }
  }

  void backendAdded(String addr, String arch) {
    publish(() -> new PoolEvent.BackendAdded(addr, Instant.now()));
    checkArch(arch);
  }

  void backendRemoved(String addr, String arch) {
    publish(() -> new PoolEvent.BackendRemoved(addr, Instant.now()));
    checkArch(arch);
  }

  void limitChanged(String addr, int from, int to) {
    if (from != to) {
      publish(() -> new PoolEvent.LimitChanged(addr, from, to, Instant.now()));
    }
  }

  void rateChanged(String addr, double from, double to) {
    publish(() -> new PoolEvent.RateChanged(addr, from, to, Instant.now()));
  }

  void backendDrained(String addr) {
    publish(() -> new PoolEvent.BackendDrained(addr, Instant.now()));
  }

  void adminStateChanged(String addr, String arch, AdminState from, AdminState to) {
    if (from != to) {
      publish(() -> new PoolEvent.AdminStateChanged(addr, from, to, Instant.now()));
      checkArch(arch);
    }
  }

  void healthChanged(String addr, String arch, Health from, Health to) {
    if (from != to) {
      publish(() -> new PoolEvent.HealthChanged(addr, from, to, Instant.now()));
      checkArch(arch);
    }
  }

  void archDiscovered(String addr, String arch, List<String> emulated) {
    log.info(
        "backend {} builds for {}{}",
        addr,
        arch,
        emulated.isEmpty() ? "" : " (and, emulated, " + String.join(", ", emulated) + ")");
    publish(() -> new PoolEvent.ArchDiscovered(addr, arch, emulated, Instant.now()));
    checkArch(arch);
  }

  void archMismatch(
      String addr, String configured, String discovered, String platform, String problem) {
    log.warn("backend {} is held out: {}", addr, problem);
    publish(
        () -> new PoolEvent.ArchMismatch(addr, configured, discovered, platform, Instant.now()));
    checkArch(configured);
  }

  void failOpen(String arch, boolean entered) {
    publish(
        () ->
            entered
                ? new PoolEvent.FailOpenEntered(arch, Instant.now())
                : new PoolEvent.FailOpenExited(arch, Instant.now()));
  }

  void circuitChanged(String addr, String arch, CircuitBreaker.State to) {
    if (!active()) {
      return;
    }
    Instant now = Instant.now();
    publish(
        () ->
            switch (to) {
              case OPEN -> new PoolEvent.CircuitOpened(addr, now);
              case HALF_OPEN -> new PoolEvent.CircuitHalfOpened(addr, now);
              case CLOSED -> new PoolEvent.CircuitClosed(addr, now);
            });
    checkArch(arch);
  }

  /**
   * Tells AllDown or Recovered if the arch's state flipped. The state is taken here, on the thread
   * that changed it and under this lock, and compared on the event thread: so the verdict follows
   * the event that caused it, and the last verdict queued is the state the pool is in.
   */
  private void checkArch(String arch) {
    if (!active()) {
      return;
    }
    synchronized (this) {
      Boolean now = isDown(arch);
      onEventThread(
          () -> {
            if (now == null) {
              // No backends left: nothing to tell; what was last told stands until one is added.
              return;
            }
            Boolean before = down.put(arch, now);
            if (before != null && !before.equals(now)) {
              Instant at = Instant.now();
              deliver(now ? new PoolEvent.AllDown(arch, at) : new PoolEvent.Recovered(arch, at));
            }
          });
    }
  }

  /**
   * Whether the arch's backends all cannot take leases: each cordoned, draining, unhealthy or with
   * its circuit not closed; null when the arch has no backends at all (which is never down).
   */
  private @Nullable Boolean isDown(String arch) {
    ArchGroup group = topology.get().group(arch);
    if (group == null) {
      return null;
    }
    for (Slot slot : group.slots) {
      if (slot.isReadyAndHealthy()
          && slot.breaker.snapshot().state() == CircuitBreaker.State.CLOSED) {
        return false;
      }
    }
    return true;
  }

  private void deliver(PoolEvent event) {
    for (Consumer<PoolEvent> listener : listeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException | Error e) {
        log.warn("event listener {} failed on {}", listener, event, e);
      }
    }
  }

  private void onEventThread(Runnable task) {
    ThreadPoolExecutor executor;
    synchronized (this) {
      executor = thread;
    }
    if (executor == null) {
      return;
    }
    try {
      executor.execute(task);
    } catch (RejectedExecutionException full) {
      if (!executor.isShutdown() && dropped.incrementAndGet() % 1_000 == 1) {
        log.warn(
            "{} pool events dropped: listeners are {} events behind", dropped.get(), MAX_PENDING);
      }
    }
  }

  /** Stops the event thread once it has delivered what is queued. */
  void close() {
    ThreadPoolExecutor executor;
    synchronized (this) {
      executor = thread;
    }
    if (executor != null) {
      executor.shutdown();
    }
  }

  private static ThreadPoolExecutor newThread() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(MAX_PENDING),
            runnable -> {
              Thread thread =
                  new Thread(runnable, "melange-pool-events-" + THREADS.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    return executor;
  }
}
