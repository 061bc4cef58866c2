package dev.melange.pool.core;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendNotFoundException;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.DuplicateBackendException;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.NoBackendAvailableException.Reason;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.PoolException;
import dev.melange.pool.RateLimit;
import dev.melange.pool.Selector;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.ArchGroup.Matches;
import dev.melange.pool.core.config.HealthCheckReader;
import dev.melange.pool.core.config.KnownArchs;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.ResilienceSettings;
import dev.melange.pool.core.config.YamlPoolConfigLoader;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.core.time.Durations;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.HealthProbe;
import dev.melange.pool.spi.LoadBalancer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process {@link BackendPool}: backends in an immutable {@link Topology} swapped on change,
 * one {@link Slot} per backend incarnation, a {@link LoadBalancer} (least-loaded by default) or an
 * {@link AffinityRing} to pick, and a {@link WaitQueue} for callers who must wait.
 *
 * <p>Design notes for maintainers.
 *
 * <p><b>The hot path.</b> Acquire: one volatile read of {@code topology}, its memo of the last
 * (arch, selector) answer (else a map lookup for the arch and the cached candidates for the
 * selector), the pick (least-loaded's scan is called directly, not through the strategy SPI), one
 * compare-and-set on the chosen slot's counter word ({@link SlotCounter}, which folds removed,
 * cordoned, unhealthy, unprobed, misplaced and ramping into the comparison with the limit), a
 * permit from its circuit breaker, and the {@link PooledLease}, the only allocation. Release: one
 * compare-and-set on the lease (it ends once), the outcome to the breaker, one atomic decrement of
 * the counter, one volatile read to see whether anyone waits ({@link WaitQueue#signal}). No lock,
 * no logging, no clock but the breaker's ticker. A lost race picks again; a refused permit gives
 * the slot back and picks again, a bounded number of times.
 *
 * <p><b>Locks, in the order they may be taken</b> (a thread holding one takes only locks further
 * down the list):
 *
 * <ol>
 *   <li>{@code reloadLock}: a reload, whole (by {@link #reload(Path)}, {@link
 *       #reload(BackendPool.Builder)} or the watch), so that loads and the watch's configuration
 *       keep one order.
 *   <li>{@code topologyLock}: every change of membership or admin state (add, remove, cordon,
 *       uncordon, drain, setHealth, a reload's apply, placement by a daemon, close). It guards
 *       {@code drains}, {@code reloadDrains} and {@code cordonedWhenDropped}, and a slot's
 *       placement, reconfiguration and adaptive limit; it publishes {@code topology} and {@code
 *       draining} (volatile) before it is let go. Nothing under it waits for another thread.
 *   <li>The {@link WaitQueue}'s lock: waiters queued, leaving and served. Never taken together with
 *       the two above, in either order. While it is held, the queue calls {@link WaitQueue.Leasing}
 *       for leases, which may take the fail-open and event monitors below. Its hand-off rule (a
 *       release that finds it held leaves the serving to the holder) is in its own design comment.
 *   <li>A slot's {@link SlotHealth} monitor: one backend's health changes, in order; taken under
 *       {@code topologyLock} (override, follow, unfollow) or alone, by health threads (observe).
 *   <li>{@code failingOpen}'s monitor: entering and leaving fail-open, so that their logs and
 *       events keep their order.
 *   <li>{@link PoolEvents}' monitor: the AllDown/Recovered verdicts are taken under it, on the
 *       thread that made the change, and queued for the event thread.
 *   <li>The {@link ConfigWatch}'s monitor, the {@link PoolTimer}'s lock and a slot's own monitor (a
 *       ramp starting, {@link SlotCounter#startRamp}): leaves, held for a few field writes.
 * </ol>
 *
 * <p><b>Who writes what.</b> {@code topology}, {@code draining}, {@code drains}, {@code
 * reloadDrains}, {@code cordonedWhenDropped}: under {@code topologyLock}. {@code config} and the
 * reloadable settings ({@code defaultMaxJobs}, {@code acquireTimeoutNanos}, {@code
 * priorityAgingNanos}, {@code failOpen}, {@code timed}, {@code leastLoadedUntimed}): by a reload,
 * under both locks; readers take them without a lock, and a stale read errs by one lease at most
 * (see each field). {@code closed}: once, under {@code topologyLock}, with the timer closed in the
 * same breath. A slot's counter word: by compare-and-set from any thread ({@link SlotCounter}); its
 * health: under its {@link SlotHealth} monitor.
 *
 * <p><b>Callbacks and where they run.</b> Listeners of {@link #subscribe} run on the pool's event
 * thread, never under a pool lock. A circuit breaker's state changes ({@link CircuitListener}) run
 * on the thread whose lease or acquire changed the state, under no pool lock. Health monitors call
 * {@link HealthFollower.Observer} on their threads: a health observation takes the slot's health
 * monitor and hands the rest (ending fail-open, waking waiters) to the timer; a daemon's platform
 * takes {@code topologyLock} to place the backend, then wakes waiters itself. The strategy SPI is
 * called on the acquiring thread under no lock. Futures (of {@code acquireAsync}, of drains) are
 * completed outside every lock, since completing runs the caller's dependent stages. Timer tasks
 * that act on a backend carry what they were queued for (a drain's identity, a waiter) and check it
 * still holds when they run.
 */
final class LocalBackendPool
    implements BackendPool, ConfigWatch.Target, WaitQueue.Leasing, HealthFollower.Observer {
  private static final Logger log = LoggerFactory.getLogger(LocalBackendPool.class);

  /**
   * How a {@code tryAcquire} that queued behind others ends its wait when not served at once:
   * nobody sees it (the caller gets an empty optional), so one instance serves every such call.
   */
  @SuppressWarnings("StaticAssignmentOfThrowable") // stackless, and never seen
  private static final NoBackendAvailableException TRY_ACQUIRE_GAVE_UP =
      new NoBackendAvailableException(Reason.NO_CAPACITY, "no available backend: not right now");

  /** Beyond one per candidate, how many useless picks {@link #pickAndReserve} tolerates. */
  private static final int MAX_EXTRA_MISSES = 8;

  /** The configuration now: set at build, replaced by each reload. */
  private volatile PoolConfig config;

  /** Reloadable: the limit of backends configured with 0. */
  private volatile int defaultMaxJobs;

  /** Reloadable: how long a plain acquire waits. */
  private volatile long acquireTimeoutNanos;

  /** Reloadable: how long a waiter waits for each level its priority rises; read by drains. */
  private volatile long priorityAgingNanos;

  private final Ticker ticker;
  private final LoadBalancer balancer;

  /** The default strategy, called directly: the common case costs no interface call. */
  private final boolean leastLoaded;

  /**
   * Whether acquires without a key take {@link #tryLeastLoaded}'s path: the default strategy, and
   * leases need no timing. (Adaptive limits time leases; the general path makes timed ones, so the
   * default path never pays for the choice.) Cleared, never set, by a reload that brings the first
   * adaptive limit; a stale read makes one untimed lease, which costs its limit one sample.
   */
  private boolean leastLoadedUntimed;

  private final double affinityLoadFactor;
  private final SlowStart slowStart;

  /** How fast latency estimates decay; null when the strategy does not use latency. */
  private final @Nullable Duration latencyDecay;

  /**
   * Whether leases are timed, for latency estimates or adaptive limits. Set once a reload brings
   * the first adaptive limit, never cleared; a lease made from a stale read is untimed, which only
   * costs its adaptive limit one sample.
   */
  private boolean timed;

  private final WaitQueue waiters;
  private final PoolEvents events = new PoolEvents(this::topology);
  private final Object topologyLock = new Object();

  /** Held by a reload from start to end (taken before {@code topologyLock}, never inside it). */
  private final Object reloadLock = new Object();

  private volatile Topology topology;
  private volatile boolean closed;

  private final PoolTimer timer = new PoolTimer();

  /** Reloadable: whether requests whose every candidate is unhealthy go to them anyway. */
  private volatile boolean failOpen;

  /** Reloads the configuration file when it changes, while the configuration says to. */
  private final ConfigWatch watch = new ConfigWatch(this, timer);

  /**
   * The requests (arch and selector) failing open now: logged and told once on entering, once on
   * leaving. Entering and leaving take its monitor, so their logs and events keep their order.
   */
  private final Set<FailOpen> failingOpen = ConcurrentHashMap.newKeySet();

  /** Leases handed out failing open, ever. */
  private final LongAdder failOpenLeases = new LongAdder();

  /** Guarded by {@code topologyLock}: the backends draining, each with its drain. */
  private final Map<Slot, Drain> drains = new HashMap<>();

  /**
   * Guarded by {@code topologyLock}: the draining backends whose drain a reload started (not an
   * operator), which a later reload that lists them again takes back, each with the admin state it
   * had before (a cordoned backend goes back to cordoned).
   */
  private final Map<Slot, AdminState> reloadDrains = new HashMap<>();

  /**
   * Guarded by {@code topologyLock}: the addresses of cordoned backends that a reload dropped and
   * that have left the pool since; a later reload that lists one again brings it back cordoned. An
   * operator's add or remove of the address forgets it.
   */
  private final Set<String> cordonedWhenDropped = new HashSet<>();

  /** The values of {@code drains}, published for releases to check without the lock. */
  private volatile Drain[] draining = new Drain[0];

  LocalBackendPool(PoolConfig config) {
    this(config, new ReentrantLock());
  }

  /**
   * @param waitLock the wait queue's lock: tests pass one that lets them act while it is held
   */
  LocalBackendPool(PoolConfig config, ReentrantLock waitLock) {
    this.waiters = new WaitQueue(this, waitLock);
    PoolSettings settings = config.settings();
    if (settings.backends().isEmpty()) {
      throw new PoolException("at least one backend is required");
    }
    this.config = config;
    this.defaultMaxJobs = settings.defaultMaxJobs();
    this.acquireTimeoutNanos = Durations.saturatedNanos(settings.acquireTimeout());
    this.priorityAgingNanos = Durations.saturatedNanos(settings.priorityAging());
    this.ticker = config.ticker();
    this.balancer = config.balancer();
    this.leastLoaded = balancer == LeastLoadedStrategy.INSTANCE;
    this.affinityLoadFactor = settings.affinityLoadFactor();
    this.failOpen = settings.failOpen();
    this.slowStart = new SlowStart(ticker, settings.slowStart());
    this.latencyDecay = balancer.usesLatency() ? settings.strategy().decay() : null;
    this.timed = latencyDecay != null || settings.resilience().anyAdaptive();
    this.leastLoadedUntimed = leastLoaded && !timed;
    Set<String> addrs = new HashSet<>();
    List<Slot> slots = new ArrayList<>();
    // Under the lock: a probe may answer before the pool is built, and what it learns of a daemon
    // (daemonObserved) must wait for the topology rather than find none.
    synchronized (topologyLock) {
      try {
        List<Backend> backends = settings.backends();
        for (int i = 0; i < backends.size(); i++) {
          Backend backend = backends.get(i);
          if (!addrs.add(backend.addr())) {
            throw new DuplicateBackendException(backend.addr());
          }
          Slot slot = newSlot(backend, defaultMaxJobs, config, config.breakers());
          slots.add(slot);
          HealthCheck check = settings.healthCheckOf(backend);
          HealthService.Subscription subscription;
          try {
            subscription = subscribe(slot, check, null, config.probes());
          } catch (IllegalArgumentException refusal) {
            throw refusedBackend(settings, i, refusal);
          }
          follow(slot, check, subscription, false);
        }
      } catch (RuntimeException | Error e) {
        // Nothing can close a pool that was never built: let go of what it started.
        slots.forEach(LocalBackendPool::unfollow);
        closed = true;
        ScheduledThreadPoolExecutor started = timer.close();
        if (started != null) {
          started.shutdownNow();
        }
        throw e;
      }
      this.topology = new Topology(slots);
    }
    watch.configure(settings);
  }

  // The plain acquire is the one schedulers call in a loop: its fast path is written out here, not
  // delegated, so that it stays small enough for the JIT to inline into the caller whole.
  @Override
  public Lease acquire(String arch, Selector selector) throws InterruptedException {
    Matches candidates = candidatesOrThrow(arch, selector);
    if (waiters.isEmpty()) {
      PooledLease lease = tryLease(candidates);
      if (lease != null) {
        return lease;
      }
    }
    return await(arch, selector, AcquireOptions.defaults(), acquireTimeoutNanos);
  }

  @Override
  public Lease acquire(String arch, Selector selector, Duration timeout)
      throws InterruptedException {
    if (timeout.isNegative()) {
      throw negativeTimeout(timeout);
    }
    return acquire(arch, selector, AcquireOptions.defaults(), Durations.saturatedNanos(timeout));
  }

  @Override
  public Lease acquire(String arch, Selector selector, AcquireOptions options)
      throws InterruptedException {
    return acquire(arch, selector, options, timeoutNanos(options));
  }

  // The fast path is kept small on purpose, so the JIT inlines it into the caller: the slow path
  // (waiting) and every rejection live in methods of their own. Of the options it reads only the
  // affinity key; the priority matters only to wait.
  private Lease acquire(String arch, Selector selector, AcquireOptions options, long timeoutNanos)
      throws InterruptedException {
    Matches candidates = candidatesOrThrow(arch, selector);
    if (waiters.isEmpty()) {
      PooledLease lease = tryLease(candidates, options.affinityKey());
      if (lease != null) {
        return lease;
      }
    }
    return await(arch, selector, options, timeoutNanos);
  }

  /**
   * The slow path: queue behind the waiters before this one (by priority, then arrival) and park
   * until served, timed out or closed.
   *
   * @param options the affinity key and priority; the timeout is {@code timeoutNanos}
   */
  private Lease await(String arch, Selector selector, AcquireOptions options, long timeoutNanos)
      throws InterruptedException {
    Waiter waiter = newWaiter(arch, selector, options, timeoutNanos);
    waiters.enqueue(waiter);
    try {
      if (timeoutNanos == 0 && !waiter.future.isDone()) {
        throw new TimeoutException();
      }
      return waiter.future.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (waiter.future.completeExceptionally(noCapacity(waiter))) {
        waiters.remove(waiter);
      }
      return awaitOutcome(waiter);
    } catch (InterruptedException e) {
      if (waiter.future.completeExceptionally(new CancellationException("interrupted"))) {
        waiters.remove(waiter);
      } else if (!waiter.future.isCompletedExceptionally()) {
        // Granted just as we were interrupted: give it back, the caller holds nothing.
        ((PooledLease) waiter.future.join()).closeUnused();
      }
      throw e;
    } catch (ExecutionException e) {
      throw rethrow(e);
    }
  }

  @Override
  public Optional<Lease> tryAcquire(String arch, Selector selector) {
    return tryAcquire(arch, selector, AcquireOptions.defaults());
  }

  @Override
  public Optional<Lease> tryAcquire(String arch, Selector selector, AcquireOptions options) {
    Topology current = topology;
    Matches candidates = candidatesOrEmpty(current, arch, selector);
    if (closed || candidates.isEmpty()) {
      return Optional.empty();
    }
    if (waiters.isEmpty()) {
      return Optional.ofNullable(tryLease(candidates, options.affinityKey()));
    }
    // Others wait: go through the queue so that those before this one are served first.
    Waiter waiter = newWaiter(arch, selector, options, 0);
    waiters.enqueue(waiter);
    if (waiter.future.completeExceptionally(TRY_ACQUIRE_GAVE_UP)) {
      waiters.remove(waiter);
      return Optional.empty();
    }
    return waiter.future.isCompletedExceptionally()
        ? Optional.empty()
        : Optional.of(waiter.future.join());
  }

  @Override
  public CompletableFuture<Lease> acquireAsync(String arch, Selector selector, Duration timeout) {
    if (timeout.isNegative()) {
      throw negativeTimeout(timeout);
    }
    return acquireAsync(
        arch, selector, AcquireOptions.defaults(), Durations.saturatedNanos(timeout));
  }

  @Override
  public CompletableFuture<Lease> acquireAsync(
      String arch, Selector selector, AcquireOptions options) {
    return acquireAsync(arch, selector, options, timeoutNanos(options));
  }

  private CompletableFuture<Lease> acquireAsync(
      String arch, Selector selector, AcquireOptions options, long timeoutNanos) {
    Matches candidates;
    try {
      candidates = candidatesOrThrow(arch, selector);
    } catch (NoBackendAvailableException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (waiters.isEmpty()) {
      PooledLease lease = tryLease(candidates, options.affinityKey());
      if (lease != null) {
        return CompletableFuture.completedFuture(lease);
      }
    }
    Waiter waiter = newWaiter(arch, selector, options, timeoutNanos);
    waiters.enqueue(waiter);
    if (!waiter.future.isDone()) {
      // A caller who cancels gives up its place now, not at the next drain. (The stage this
      // returns completes with the waiter's own outcome, which the caller already has.)
      CompletableFuture<Lease> unused =
          waiter.future.whenComplete(
              (lease, failure) -> {
                if (failure instanceof CancellationException) {
                  waiters.remove(waiter);
                  waiter.cancelTimeout();
                }
              });
      if (timeoutNanos == 0) {
        expire(waiter);
      } else {
        Future<?> task = schedule(() -> expire(waiter), timeoutNanos);
        if (task != null) {
          waiter.timeoutTask(task);
        }
      }
    }
    return waiter.future;
  }

  private static Waiter newWaiter(
      String arch, Selector selector, AcquireOptions options, long timeoutNanos) {
    return new Waiter(arch, selector, options.affinityKey(), timeoutNanos, options.priority());
  }

  private void expire(Waiter waiter) {
    if (waiter.future.completeExceptionally(noCapacity(waiter))) {
      waiters.remove(waiter);
    }
  }

  /** Ends the wait of a waiter the queue found past its timeout, and already let go of. */
  @Override
  public void timedOut(Waiter waiter) {
    if (waiter.future.completeExceptionally(noCapacity(waiter))) {
      waiter.cancelTimeout();
    }
  }

  /**
   * A lease on a primary if one can take it now, else on a backup; null when none can.
   *
   * @param affinityKey the key whose order picks, or null for the strategy
   */
  @Override
  public @Nullable PooledLease tryLease(Matches candidates, @Nullable String affinityKey) {
    if (affinityKey == null) {
      return tryLease(candidates);
    }
    return tryLeaseWith(candidates, affinityKey);
  }

  /** {@link #tryLease(Matches, String)} without a key: the strategy picks. */
  private @Nullable PooledLease tryLease(Matches candidates) {
    if (!leastLoadedUntimed) {
      return tryLeaseWith(candidates, null);
    }
    PooledLease lease = tryLeastLoaded(candidates.primarySlots);
    if (lease == null && candidates.hasBackups) {
      lease = tryLeastLoaded(candidates.backups.slots);
      if (lease == null) {
        lease = tryLeastLoaded(candidates.emulated.slots);
      }
    }
    if (lease == null && failOpen) {
      lease = tryFailingOpen(candidates);
    }
    return lease;
  }

  /** {@link #tryLease(Matches, String)} through the strategy's SPI or the key's ring. */
  private @Nullable PooledLease tryLeaseWith(Matches candidates, @Nullable String affinityKey) {
    PooledLease lease = pickAndReserve(candidates.primaries, candidates.primarySlots, affinityKey);
    if (lease == null && candidates.hasBackups) {
      lease = pickAndReserve(candidates.backups, candidates.backups.slots, affinityKey);
      if (lease == null) {
        lease = pickAndReserve(candidates.emulated, candidates.emulated.slots, affinityKey);
      }
    }
    if (lease == null && failOpen) {
      lease = tryFailingOpen(candidates);
    }
    return lease;
  }

  /**
   * Fail-open (sozu's): when no candidate is both ready and healthy, but some ready ones are
   * unhealthy, the least loaded of those whose circuit admits a lease takes it, primaries and
   * backups alike (never a backend that only emulates the arch). A slow path: it runs only once
   * nothing else could take the lease.
   */
  private @Nullable PooledLease tryFailingOpen(Matches candidates) {
    Slot[] primaries = candidates.primarySlots;
    Slot[] backups = candidates.backups.slots;
    if (anyReadyAndNotUnhealthy(primaries)
        || anyReadyAndNotUnhealthy(backups)
        || anyReadyAndNotUnhealthy(candidates.emulated.slots)) {
      return null;
    }
    for (int attempt = 0; attempt <= primaries.length + backups.length; attempt++) {
      // A backup must be strictly lighter to win: primaries first, as everywhere.
      Slot slot = lightestFailingOpen(backups, lightestFailingOpen(primaries, null));
      if (slot == null) {
        return null;
      }
      if (!slot.tryReserveFailingOpen()) {
        continue;
      }
      long permit = permit(slot);
      if (permit < 0) {
        giveBackUnused(slot);
        continue;
      }
      failOpenLeases.increment();
      FailOpen request = new FailOpen(candidates.arch, candidates.selector);
      if (!failingOpen.contains(request)) {
        enterFailOpen(request);
      }
      return newLease(slot, permit);
    }
    return null;
  }

  /**
   * Whether some slot is ready and healthy, or ready and not probed yet: no reason to fail open.
   */
  private static boolean anyReadyAndNotUnhealthy(Slot[] slots) {
    for (Slot slot : slots) {
      if (slot.isReadyAndNotUnhealthy()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The least loaded of {@code slots} that fail-open may use, or {@code best} if none is lighter.
   */
  private static @Nullable Slot lightestFailingOpen(Slot[] slots, @Nullable Slot best) {
    long bestActive = best == null ? 0 : best.active();
    long bestMax = best == null ? 1 : best.limit();
    for (Slot slot : slots) {
      if (!slot.isFailOpenCandidate()) {
        continue;
      }
      int active = slot.active();
      int max = slot.limit();
      if (active >= max
          || (best != null && active * bestMax >= bestActive * max)
          || !slot.breaker.isAdmitting()) {
        continue;
      }
      best = slot;
      bestActive = active;
      bestMax = max;
    }
    return best;
  }

  private void enterFailOpen(FailOpen request) {
    synchronized (failingOpen) {
      if (!failingOpen.add(request)) {
        return;
      }
      log.warn("failing open: every {} is unhealthy; routing to them anyway", request);
      events.failOpen(request.arch(), true);
    }
    // A backend may have turned healthy while this lease was being taken, before the request was
    // marked: look once more, so that leaving is not missed.
    checkFailOpenExits();
  }

  /** Ends fail-open for each request that has a ready, healthy candidate again (or none at all). */
  private void checkFailOpenExits() {
    if (failingOpen.isEmpty()) {
      return;
    }
    synchronized (failingOpen) {
      Topology current = topology;
      for (Iterator<FailOpen> it = failingOpen.iterator(); it.hasNext(); ) {
        FailOpen request = it.next();
        Matches candidates = current.candidates(request.arch(), request.selector());
        if (!failOpen
            || candidates.isEmpty()
            || anyReadyAndNotUnhealthy(candidates.primarySlots)
            || anyReadyAndNotUnhealthy(candidates.backups.slots)
            || anyReadyAndNotUnhealthy(candidates.emulated.slots)) {
          it.remove();
          log.info(
              "no longer failing open: {} ({} leases failed open so far in this pool)",
              request,
              failOpenLeases.sum());
          events.failOpen(request.arch(), false);
        }
      }
    }
  }

  /** A request that fails open: its arch and selector. */
  private record FailOpen(String arch, Selector selector) {
    @Override
    public String toString() {
      return arch
          + " backend that matches "
          + (selector.isEmpty() ? "any selector" : "\"" + selector + "\"");
    }
  }

  /**
   * The default strategy's case of {@link #pickAndReserve}, kept apart and small: the JIT inlines
   * it, and the scan hands over the slot itself.
   */
  private @Nullable PooledLease tryLeastLoaded(Slot[] slots) {
    Slot slot = LeastLoadedStrategy.pick(slots);
    if (slot == null) {
      return null;
    }
    if (slot.tryReserve()) {
      long permit = permit(slot);
      if (permit >= 0) {
        return new PooledLease(slot, permit); // this path's leases are never timed
      }
      giveBackUnused(slot);
    }
    return pickAndReserve(null, slots, null);
  }

  /**
   * The chosen candidate's slot, reserved, with a permit; null when none can be had now. Picks
   * again after a lost race or a refused permit. A lost race is another thread's progress, so it
   * may repeat; a pick of a candidate that is full, or whose breaker refuses the permit it seemed
   * to admit, counts against a bound, so a strategy that keeps choosing one cannot spin. (The
   * default strategy's first attempt is {@link #tryLeastLoaded}.)
   */
  private @Nullable PooledLease pickAndReserve(
      @Nullable CandidateList candidates, Slot[] slots, @Nullable String affinityKey) {
    int misses = 0;
    while (true) {
      int index = pick(candidates, slots, affinityKey);
      if (index == LoadBalancer.NONE) {
        return null;
      }
      Slot slot = slots[index];
      if (slot.tryReserve()) {
        long permit = permit(slot);
        if (permit >= 0) {
          return newLease(slot, permit);
        }
        giveBackUnused(slot);
      } else if (slot.hasRoom()) {
        continue; // lost a race for a slot that has room again: someone else made progress
      }
      if (++misses > slots.length + MAX_EXTRA_MISSES) {
        return null;
      }
    }
  }

  /**
   * Picks from {@code candidates}, whose slots are {@code slots} (one load fewer in hand). The
   * default strategy's case is kept small, so that the JIT inlines the whole acquire path; the rest
   * is {@link #pickOther}.
   */
  private int pick(@Nullable CandidateList candidates, Slot[] slots, @Nullable String affinityKey) {
    if (candidates == null || (affinityKey == null && leastLoaded)) {
      Slot slot = LeastLoadedStrategy.pick(slots);
      return slot == null ? LoadBalancer.NONE : indexOf(slots, slot);
    }
    return pickOther(candidates, slots, affinityKey);
  }

  private int pickOther(CandidateList candidates, Slot[] slots, @Nullable String affinityKey) {
    if (slots.length == 0) {
      return LoadBalancer.NONE; // only backups match; strategies see at least one candidate
    }
    if (affinityKey != null) {
      return candidates.ring().pick(AffinityRing.keyHash(affinityKey), affinityLoadFactor);
    }
    int index = balancer.pick(candidates);
    if (index < LoadBalancer.NONE || index >= slots.length) {
      throw badPick(index, slots.length);
    }
    return index;
  }

  private static int indexOf(Slot[] slots, Slot slot) {
    int index = 0;
    while (slots[index] != slot) {
      index++;
    }
    return index;
  }

  private IllegalStateException badPick(int index, int candidates) {
    return new IllegalStateException(
        "strategy " + balancer + " picked index " + index + " of " + candidates + " candidates");
  }

  private PooledLease newLease(Slot slot, long permit) {
    // The pool's flag first: the slot's latency field sits a cache line away from its counter,
    // and the default strategy should not touch that line.
    if (timed) {
      return new TimedLease(slot, permit, ticker);
    }
    return new PooledLease(slot, permit);
  }

  /**
   * The breaker's permit for a slot just reserved. The SPI must not throw, but if an implementation
   * does, the reservation goes back before the exception goes on.
   */
  private long permit(Slot slot) {
    try {
      return slot.breaker.tryAcquirePermit();
    } catch (RuntimeException | Error e) {
      giveBackUnused(slot);
      throw e;
    }
  }

  /** Undoes a reservation; a drain that saw the slot taken meanwhile must look again. */
  private void giveBackUnused(Slot slot) {
    slot.release();
    waiters.signal();
  }

  private Matches candidatesOrThrow(String arch, Selector selector) {
    if (closed) {
      throw closedException();
    }
    Topology current = topology;
    Matches candidates = candidatesOrEmpty(current, arch, selector);
    if (candidates.isEmpty()) {
      throw noCandidates(current, arch, selector);
    }
    return candidates;
  }

  @Override
  public Matches candidatesOrEmpty(Topology current, String arch, Selector selector) {
    return current.candidates(arch, selector);
  }

  @Override
  public NoBackendAvailableException noCandidates(
      Topology current, String arch, Selector selector) {
    return Refusals.noCandidates(current, arch, selector);
  }

  /** The wait of {@code waiter} ran out: what holds its candidates out now. */
  private NoBackendAvailableException noCapacity(Waiter waiter) {
    return Refusals.noCapacity(
        candidatesOrEmpty(topology, waiter.arch, waiter.selector), waiter, failOpen);
  }

  @Override
  public NoBackendAvailableException closedException() {
    return Refusals.closed();
  }

  /**
   * The shortest time until an open circuit among the candidates lets a trial through, or a ramp
   * raises a limit that holds a waiter back.
   */
  @Override
  public long nanosUntilRetry(Matches candidates) {
    return Math.min(
        nanosUntilRetry(candidates.primaries.slots),
        Math.min(
            nanosUntilRetry(candidates.backups.slots), nanosUntilRetry(candidates.emulated.slots)));
  }

  private long nanosUntilRetry(Slot[] candidates) {
    long min = Long.MAX_VALUE;
    for (Slot slot : candidates) {
      // Only backends a waiter could get: not removed, cordoned or draining, and healthy unless
      // the pool fails open. (A held-out backend's circuit never gets its trial.)
      if (!slot.isReadyAndHealthy() && !(failOpen && slot.isFailOpenCandidate())) {
        continue;
      }
      if (slot.hasRoom() && slot.breaker.isAdmitting()) {
        // Room appeared between the scan that found none and this look (a ramp stepped up or
        // ended, say): nothing else may come to say so, so look again now.
        return 0;
      }
      if (slot.isRamping()) {
        min = Math.min(min, slot.nanosUntilRampStep());
      }
      CircuitBreaker.Snapshot circuit = slot.breaker.snapshot();
      long wait = circuit.nanosUntilRetry();
      if (wait > 0) {
        min = Math.min(min, wait);
      } else if (circuit.state() != CircuitBreaker.State.CLOSED
          && slot.active() < slot.limit()
          && slot.breaker.isAdmitting()) {
        // Recovery elapsed between the scan that refused and this look: no release will come
        // to say so, so look again now. (A full slot's release will; a trial out will end.)
        min = 0;
      }
    }
    return min;
  }

  private static Lease awaitOutcome(Waiter waiter) throws InterruptedException {
    try {
      return waiter.future.get();
    } catch (ExecutionException e) {
      throw rethrow(e);
    }
  }

  private static RuntimeException rethrow(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new PoolException("acquire failed", cause);
  }

  @Override
  public void add(Backend backend) {
    synchronized (topologyLock) {
      checkOpen();
      Topology current = topology;
      if (current.find(backend.addr()) != null) {
        throw new DuplicateBackendException(backend.addr());
      }
      Slot slot = newSlot(backend, defaultMaxJobs, config, config.breakers());
      cordonedWhenDropped.remove(backend.addr()); // an operator's add starts afresh
      HealthCheck check = config.settings().healthCheckOfAdded(backend);
      follow(slot, check, subscribe(slot, check, null, config.probes()), false);
      slot.startRamp();
      topology = current.with(slot);
      // Told under the lock, so that listeners hear add and remove in the order they happened.
      events.backendAdded(backend.addr(), backend.arch());
    }
    log.debug("added backend {} ({})", backend.addr(), backend.arch());
    checkFailOpenExits();
    waiters.signal();
  }

  @Override
  public void remove(String addr) {
    synchronized (topologyLock) {
      checkOpen();
      Topology current = topology;
      Slot slot = current.find(addr);
      if (slot == null) {
        throw new BackendNotFoundException(addr);
      }
      if (current.slots.length == 1) {
        throw new PoolException("cannot remove the last backend");
      }
      if (slot.adminState() != AdminState.DRAINING && remainingAfter(List.of(slot)) == 0) {
        // The others all drain: removing this one would leave a pool that can only empty.
        throw new PoolException("cannot remove the last backend that is not draining");
      }
      // Retire before publishing: an acquirer still scanning the old topology finds it full.
      retire(slot);
      topology = current.without(slot);
      cordonedWhenDropped.remove(addr);
      if (events.active() && !drains.containsKey(slot)) {
        // Listeners hear BackendDrained once its last lease ends, as for a drain.
        drains.put(slot, new Drain(slot));
        publishDrains();
        waiters.watchDrains(1);
      }
      events.backendRemoved(addr, slot.arch);
    }
    log.debug("removed backend {}", addr);
    // Waiters whose only candidates were on it must fail now, not time out; and a draining
    // backend removed here finishes its drain through this signal (or its last release).
    waiters.signal();
  }

  @Override
  public List<Backend> cordon(String pattern) {
    List<Backend> matched = new ArrayList<>();
    synchronized (topologyLock) {
      checkOpen();
      for (Slot slot : matching(pattern)) {
        AdminState before = slot.adminState();
        if (before != AdminState.DRAINING) {
          slot.holdOut(AdminState.CORDONED);
          events.adminStateChanged(slot.backend.addr(), slot.arch, before, AdminState.CORDONED);
        }
        matched.add(slot.placedBackend());
      }
    }
    log.debug("cordoned {}", matched);
    waiters.signal(); // waiters may now have to fail open
    return List.copyOf(matched);
  }

  @Override
  public List<Backend> uncordon(String pattern) {
    List<Backend> matched = new ArrayList<>();
    synchronized (topologyLock) {
      checkOpen();
      List<Slot> slots = matching(pattern);
      List<String> draining = new ArrayList<>();
      for (Slot slot : slots) {
        if (slot.adminState() == AdminState.DRAINING) {
          draining.add(slot.backend.addr());
        }
      }
      if (!draining.isEmpty()) {
        throw new PoolException(
            "cannot uncordon draining backends: " + String.join(", ", draining));
      }
      for (Slot slot : slots) {
        AdminState before = slot.adminState();
        slot.readmit();
        events.adminStateChanged(slot.backend.addr(), slot.arch, before, AdminState.READY);
        matched.add(slot.placedBackend());
      }
    }
    log.debug("uncordoned {}", matched);
    checkFailOpenExits();
    waiters.signal();
    return List.copyOf(matched);
  }

  @Override
  public CompletableFuture<List<Backend>> drain(String pattern) {
    List<Backend> matched = new ArrayList<>();
    List<CompletableFuture<Void>> ends = new ArrayList<>();
    synchronized (topologyLock) {
      checkOpen();
      List<Slot> slots = matching(pattern);
      if (remainingAfter(slots) == 0) {
        throw new PoolException("cannot drain every backend: at least one must remain");
      }
      for (Slot slot : slots) {
        reloadDrains.remove(slot); // an operator's drain now: a reload no longer undoes it
        ends.add(startDrain(slot));
        matched.add(slot.placedBackend());
      }
      publishDrains();
    }
    // From now on every release looks in (WaitQueue.signal), and the last one finishes the drain;
    // a backend already idle finishes now. Waiters may now have to fail open.
    finishIdleDrains();
    log.debug("draining {}", matched);
    waiters.signal();
    List<Backend> result = List.copyOf(matched);
    return CompletableFuture.allOf(ends.toArray(new CompletableFuture<?>[0]))
        .thenApply(done -> result);
  }

  /**
   * Holds the slot out as DRAINING toward its removal, unless it drains already; returns the future
   * of its end. Under the lock; the caller republishes {@code draining}.
   */
  private CompletableFuture<Void> startDrain(Slot slot) {
    Drain drain = drains.get(slot);
    if (drain == null) {
      drain = new Drain(slot);
      drains.put(slot, drain);
      AdminState before = slot.adminState();
      slot.holdOut(AdminState.DRAINING);
      // Counted here, under the lock, before anything can finish this drain.
      waiters.watchDrains(1);
      events.adminStateChanged(slot.backend.addr(), slot.arch, before, AdminState.DRAINING);
    }
    return drain.end;
  }

  /** Republishes {@code draining} after a change to {@code drains}. Under the lock. */
  private void publishDrains() {
    draining = drains.values().toArray(new Drain[0]);
  }

  /**
   * Finishes the drains whose backend holds no lease any more, on the timer: the removal itself
   * then runs there, not on the thread that ended the last lease (which only hands it over). Each
   * task carries the drain it was queued for: by the time it runs, that drain may have been undone
   * (a reload listed the backend again) and another started with leases out.
   */
  @Override
  public void finishIdleDrains() {
    for (Drain drain : draining) {
      if (drain.slot.active() == 0) {
        // Null once the pool is closed, which fails the drains itself.
        Future<?> unused = schedule(() -> finishDrain(drain), 0);
      }
    }
  }

  /**
   * A draining backend had no lease left when this was queued: if that still holds, and the drain
   * is still the one it was queued for, removes the backend (unless removed already) and says so.
   * Else it does nothing: the drain was undone, or a lease is out again (after an undone drain and
   * a new one), and that lease's release queues another look.
   */
  private void finishDrain(Drain queuedFor) {
    Slot slot = queuedFor.slot;
    CompletableFuture<Void> end = queuedFor.end;
    PoolException failure = null;
    boolean removedHere = false;
    synchronized (topologyLock) {
      // Held out (draining or retired), the slot takes no new lease: idle now means idle for good.
      if (drains.get(slot) != queuedFor || slot.active() != 0) {
        return;
      }
      drains.remove(slot);
      if (reloadDrains.remove(slot) == AdminState.CORDONED) {
        cordonedWhenDropped.add(slot.backend.addr());
      }
      publishDrains();
      waiters.watchDrains(-1);
      Topology current = topology;
      if (current.contains(slot)) {
        if (current.slots.length == 1) {
          // Cannot happen while remove() and drain() keep a backend that is not draining; if it
          // does, the backend stays, cordoned, for an operator to uncordon.
          failure = new PoolException("cannot remove the last backend");
          slot.holdOut(AdminState.CORDONED);
          events.adminStateChanged(
              slot.backend.addr(), slot.arch, AdminState.DRAINING, AdminState.CORDONED);
        } else {
          retire(slot);
          topology = current.without(slot);
          removedHere = true;
        }
      }
      if (failure == null) {
        if (removedHere) {
          events.backendRemoved(slot.backend.addr(), slot.arch);
        }
        events.backendDrained(slot.backend.addr());
      }
    }
    if (failure != null) {
      end.completeExceptionally(failure);
      return;
    }
    log.debug("drained backend {}", slot.backend.addr());
    end.complete(null);
    waiters.signal();
  }

  /** How many backends would be neither draining nor among {@code leaving}. Under the lock. */
  private int remainingAfter(List<Slot> leaving) {
    int remaining = 0;
    for (Slot slot : topology.slots) {
      if (slot.adminState() != AdminState.DRAINING && !leaving.contains(slot)) {
        remaining++;
      }
    }
    return remaining;
  }

  /** The slots whose address matches, in configuration order; at least one. */
  private List<Slot> matching(String pattern) {
    List<Slot> matched = new ArrayList<>();
    for (Slot slot : topology.slots) {
      if (AddressPattern.matches(pattern, slot.backend.addr())) {
        matched.add(slot);
      }
    }
    if (matched.isEmpty()) {
      throw BackendNotFoundException.noMatch(pattern);
    }
    return matched;
  }

  @Override
  public List<Backend> setHealth(String pattern, HealthOverride override) {
    Objects.requireNonNull(override, "override");
    List<Backend> matched = new ArrayList<>();
    synchronized (topologyLock) {
      checkOpen();
      for (Slot slot : matching(pattern)) {
        slot.health.override(override); // tells HealthChanged
        matched.add(slot.placedBackend());
      }
    }
    log.debug("health of {} set to {}", matched, override);
    checkFailOpenExits();
    waiters.signal();
    return List.copyOf(matched);
  }

  @Override
  public void reload(Path path) {
    Objects.requireNonNull(path, "path");
    // One reload at a time, file read included: a reload never applies a file older than the one
    // applied before it, and the watch is configured in the order of the loads.
    synchronized (reloadLock) {
      checkOpen();
      PoolSettings settings = YamlPoolConfigLoader.load(path, config.probes().keySet());
      try {
        apply(
            current ->
                new PoolConfig(
                    settings,
                    current.ticker(),
                    current.customStrategy(),
                    current.customBreakers(),
                    current.probes()),
            problems -> refused(path, settings, problems));
      } catch (IllegalArgumentException e) {
        // A probe factory refused a backend: the file's problem, reported as the file's.
        throw new PoolConfigException(List.of(path + ": " + e.getMessage()), 0, 0, e);
      }
    }
  }

  /**
   * The refusal of a file that changes what a running pool cannot, each problem located at its key
   * in the file when the file has it (a key left out, going back to its default, has no place).
   */
  private static PoolConfigException refused(
      Path path, PoolSettings settings, List<Reload.Refusal> problems) {
    List<String> lines = new ArrayList<>();
    int line = 0;
    int column = 0;
    for (Reload.Refusal problem : problems) {
      String where = settings.locations().get(problem.key());
      lines.add(path + (where == null ? "" : ":" + where) + ": " + problem.text());
      if (where != null && line == 0) {
        String[] parts = where.split(":", -1);
        line = Integer.parseInt(parts[0]);
        column = Integer.parseInt(parts[1]);
      }
    }
    return new PoolConfigException(lines, line, column, null);
  }

  @Override
  public void reload(Builder builder) {
    Objects.requireNonNull(builder, "config");
    if (!(builder instanceof PoolConfig.Source source)) {
      throw new IllegalArgumentException(
          "config must come from BackendPool.builder(), was " + builder.getClass().getName());
    }
    PoolConfig next = source.config();
    synchronized (reloadLock) {
      apply(
          current -> next,
          problems ->
              new IllegalArgumentException(
                  String.join("; ", problems.stream().map(Reload.Refusal::text).toList())));
    }
  }

  /**
   * Applies a configuration to the running pool, keeping what has not changed: see {@link
   * BackendPool#reload(Path)}. Everything that can fail (settings a running pool cannot change, a
   * probe that cannot be made) fails before anything changes.
   *
   * @param next the configuration to apply, made from the current one under the lock
   * @param refusal the exception for settings that cannot change
   */
  private void apply(
      UnaryOperator<PoolConfig> next, Function<List<Reload.Refusal>, RuntimeException> refusal) {
    PoolSettings applied;
    String summary;
    synchronized (topologyLock) {
      checkOpen();
      PoolConfig before = config;
      PoolConfig after = next.apply(before);
      List<Reload.Refusal> fixed = Reload.unchangeable(before, after);
      if (!fixed.isEmpty()) {
        throw refusal.apply(fixed);
      }
      Reload reload = prepare(after);
      summary = reload.changes() == 0 ? "" : reload.toString();
      commit(reload);
      applied = after.settings();
    }
    watch.configure(applied); // under the reload lock: in the order of the loads
    finishIdleDrains();
    checkFailOpenExits();
    waiters.signal();
    if (summary.isEmpty()) {
      log.debug("reloaded: nothing changed");
    } else {
      log.info("reloaded: {}", summary);
    }
  }

  /**
   * Works out a reload and makes what it needs that can fail: the new backends' slots and every new
   * health subscription. Nothing visible changes; on failure, what was made is let go. Under the
   * lock.
   */
  private Reload prepare(PoolConfig next) {
    PoolSettings settings = next.settings();
    Reload reload = new Reload(next);
    CircuitBreaker.Factory nextBreakers = next.breakers();
    Map<String, Slot> current = new HashMap<>();
    for (Slot slot : topology.slots) {
      current.put(slot.backend.addr(), slot);
    }
    List<Backend> backends = settings.backends();
    int index = 0;
    try {
      for (; index < backends.size(); index++) {
        Backend backend = backends.get(index);
        Slot old = current.remove(backend.addr());
        HealthCheck check = settings.healthCheckOf(backend);
        if (old != null
            && old.backend.arch().equals(backend.arch())
            && Objects.equals(old.backend.tls(), backend.tls())) {
          reload.kept.put(old, backend);
          reload.ordered.add(old);
          if (reloadDrains.containsKey(old)) {
            reload.relisted.add(old);
          }
          if (!Reload.sameCheck(old, check, next.probes())) {
            Health seed = old.health.observed() == Health.UNKNOWN ? null : old.health.observed();
            reload.resubscribed.put(
                old, Optional.ofNullable(subscribe(old, check, seed, next.probes())));
          }
          continue;
        }
        if (old != null) {
          reload.replaced.add(old);
        }
        Slot slot = newSlot(backend, settings.defaultMaxJobs(), next, nextBreakers);
        reload.added.put(slot, Optional.ofNullable(subscribe(slot, check, null, next.probes())));
        reload.ordered.add(slot);
      }
    } catch (IllegalArgumentException refusal) {
      reload.abandon();
      throw refusedBackend(settings, index, refusal);
    } catch (RuntimeException | Error e) {
      reload.abandon();
      throw e;
    }
    if (reload.added.isEmpty()
        && reload.kept.keySet().stream()
            .allMatch(
                slot ->
                    slot.adminState() == AdminState.DRAINING && !reload.relisted.contains(slot))) {
      // As drain() refuses to: a pool that can only empty.
      reload.abandon();
      throw new PoolException("cannot reload: every backend the configuration lists is draining");
    }
    // What the file no longer lists drains, and stays in the topology until it is drained.
    for (Slot slot : topology.slots) {
      if (current.containsKey(slot.backend.addr())) {
        reload.leaving.add(slot);
        reload.ordered.add(slot);
      }
    }
    return reload;
  }

  /**
   * Makes a prepared reload visible. Cannot fail. Under the lock. The new topology is published
   * before listeners are told, so that what they are told (and whether an arch is down) is judged
   * on it.
   */
  private void commit(Reload reload) {
    PoolSettings settings = reload.config.settings();
    config = reload.config;
    defaultMaxJobs = settings.defaultMaxJobs();
    acquireTimeoutNanos = Durations.saturatedNanos(settings.acquireTimeout());
    priorityAgingNanos = Durations.saturatedNanos(settings.priorityAging());
    failOpen = settings.failOpen();
    if (settings.resilience().anyAdaptive()) {
      timed = true;
      leastLoadedUntimed = false;
    }
    ResilienceSettings resilience = settings.resilience();
    reload.kept.forEach(
        (slot, backend) -> {
          slot.reconfigure(
              backend,
              backend.maxJobs() == 0 ? settings.defaultMaxJobs() : backend.maxJobs(),
              resilience.adaptiveLimitOf(backend.addr()));
          HealthService.Subscription followed = slot.health.subscription();
          slot.place(
              followed == null ? null : followed.monitor.daemon()); // allowEmulated may change
          RateLimitedCircuitBreaker limited = slot.rateLimited();
          RateLimit rateLimit = resilience.rateLimitOf(backend.addr());
          if (limited != null && rateLimit != null) {
            limited.reconfigure(rateLimit); // adding or removing one is refused before
          }
        });
    reload.resubscribed.forEach(
        (slot, subscription) ->
            follow(slot, settings.healthCheckOf(slot.backend), subscription.orElse(null), true));
    for (Slot slot : reload.replaced) {
      if (slot.adminState() == AdminState.CORDONED
          || reloadDrains.get(slot) == AdminState.CORDONED) {
        // Replaced (another arch): the same address, still held out by its operator.
        cordonedWhenDropped.add(slot.backend.addr());
      }
      reloadDrains.remove(slot);
      // Retired before the topology without it is published, as remove() does.
      retire(slot);
      if (events.active() && !drains.containsKey(slot)) {
        drains.put(slot, new Drain(slot)); // for BackendDrained, as remove() does
        waiters.watchDrains(1);
      }
    }
    reload.added.forEach(
        (slot, subscription) -> {
          follow(slot, settings.healthCheckOf(slot.backend), subscription.orElse(null), false);
          slot.startRamp();
        });
    for (Slot slot : reload.relisted) {
      // Its drain was an earlier reload's, which this one undoes.
      readmitFromReloadDrain(slot);
    }
    topology = new Topology(reload.ordered);
    for (Slot slot : reload.replaced) {
      events.backendRemoved(slot.backend.addr(), slot.arch);
    }
    for (Slot slot : reload.leaving) {
      if (!drains.containsKey(slot)) {
        reloadDrains.put(slot, slot.adminState());
      }
      CompletableFuture<Void> unused = startDrain(slot);
    }
    reload.added.keySet().forEach(slot -> events.backendAdded(slot.backend.addr(), slot.arch));
    for (Slot slot : reload.added.keySet()) {
      if (cordonedWhenDropped.remove(slot.backend.addr())) {
        // An operator cordoned it before a reload dropped it: listed again, it stays cordoned.
        slot.holdOut(AdminState.CORDONED);
        events.adminStateChanged(
            slot.backend.addr(), slot.arch, AdminState.READY, AdminState.CORDONED);
      }
    }
    publishDrains();
  }

  /**
   * Takes a slot that a reload set draining back to the state it had before (ready, or cordoned by
   * an operator), ending that drain. Under the lock.
   */
  private void readmitFromReloadDrain(Slot slot) {
    AdminState before = reloadDrains.remove(slot);
    if (drains.remove(slot) != null) {
      waiters.watchDrains(-1);
    }
    if (before == AdminState.CORDONED) {
      slot.holdOut(AdminState.CORDONED);
    } else {
      slot.readmit();
    }
    AdminState now = slot.adminState();
    events.adminStateChanged(slot.backend.addr(), slot.arch, AdminState.DRAINING, now);
  }

  @Override
  public AutoCloseable subscribe(Consumer<PoolEvent> listener) {
    return events.subscribe(listener);
  }

  @Override
  public List<Backend> backends() {
    return topology.backends;
  }

  @Override
  public List<Backend> backends(String arch) {
    ArchGroup group = topology.group(arch);
    return group == null ? List.of() : group.backends;
  }

  @Override
  public List<Backend> backendsMatching(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    List<Backend> matched = new ArrayList<>();
    for (Slot slot : topology.slots) {
      if (AddressPattern.matches(pattern, slot.backend.addr())) {
        matched.add(slot.placedBackend());
      }
    }
    return List.copyOf(matched);
  }

  @Override
  public List<String> architectures() {
    return topology.architectures;
  }

  @Override
  public List<BackendStatus> status() {
    return StatusReport.of(topology.slots, ticker);
  }

  @Override
  public long totalCapacity() {
    return topology.totalCapacity;
  }

  @Override
  public void close() {
    ScheduledThreadPoolExecutor toStop;
    List<CompletableFuture<Void>> unfinished;
    synchronized (topologyLock) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = timer.close(); // under the lock, as closed is set: no task is taken from here on
      unfinished = new ArrayList<>();
      drains.values().forEach(drain -> unfinished.add(drain.end));
      waiters.watchDrains(-drains.size());
      drains.clear();
      reloadDrains.clear();
      draining = new Drain[0];
      for (Slot slot : topology.slots) {
        unfollow(slot); // a probe no other pool needs stops
      }
    }
    watch.stop();
    // Outside the lock: completing runs the callers' stages.
    for (CompletableFuture<Void> end : unfinished) {
      end.completeExceptionally(new PoolException("the pool is closed"));
    }
    waiters.failAll();
    if (toStop != null) {
      toStop.shutdownNow();
    }
    events.close();
    log.debug("closed pool of {} backends", topology.slots.length);
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public Topology topology() {
    return topology;
  }

  @Override
  public Ticker ticker() {
    return ticker;
  }

  /** How long a waiter waits for each level its priority rises; positive. */
  @Override
  public long priorityAgingNanos() {
    return priorityAgingNanos;
  }

  /** Runs a task after a delay on the pool's timer thread; null once the pool is closed. */
  @Override
  public @Nullable Future<?> schedule(Runnable task, long delayNanos) {
    return timer.schedule(task, delayNanos);
  }

  /**
   * Makes the slot follow {@code subscription} to {@code check} (or no check, for null), replacing
   * what it followed; its health is the check's from here on. Under the lock, or before the pool is
   * published.
   */
  private void follow(
      Slot slot,
      @Nullable HealthCheck check,
      HealthService.@Nullable Subscription subscription,
      boolean inPool) {
    HealthService.Subscription before = slot.health.subscription();
    // Placed first: a backend whose arch contradicts its daemon's is held out before its health
    // could let it in.
    slot.place(subscription == null ? null : subscription.monitor.daemon());
    if (subscription == null) {
      slot.health.follow(null, null, this, inPool);
    } else {
      slot.health.follow(check, subscription, subscription.subscriber(), inPool);
    }
    if (before != null && before != subscription) {
      before.close();
    }
  }

  /**
   * A subscription to {@code check} for the slot, which buffers what it observes until the slot
   * follows it; null for no check. A monitor made for it (none probes this backend with this check
   * yet) starts from {@code seed}.
   *
   * @throws IllegalArgumentException when the check's probe cannot probe this backend
   */
  private HealthService.@Nullable Subscription subscribe(
      Slot slot,
      @Nullable HealthCheck check,
      @Nullable Health seed,
      Map<String, HealthProbe.Factory> probes) {
    HealthProbe.Factory factory =
        check == null ? null : HealthService.factory(check.type(), probes);
    if (slot.backend.discoversArch() && (factory == null || !factory.discoversArch())) {
      throw new IllegalArgumentException(archRequired(slot.backend.addr()));
    }
    if (check == null) {
      return null;
    }
    if (factory == null) {
      List<String> known = new ArrayList<>(HealthService.knownTypes());
      known.addAll(probes.keySet());
      throw new IllegalArgumentException(
          HealthCheckReader.unknownType(check.type(), known, " for " + slot.backend.addr()));
    }
    return HealthService.SHARED.subscribe(
        slot.backend, check, factory, seed, new HealthFollower(this, slot));
  }

  /**
   * A probe's refusal of the backend at {@code index} (its TLS files unusable, say): for settings
   * from a file, a {@link PoolConfigException} located at that backend's entry, as the loader
   * reports; from code, the refusal itself.
   */
  private static RuntimeException refusedBackend(
      PoolSettings settings, int index, IllegalArgumentException refusal) {
    Path source = settings.source();
    if (source == null) {
      return refusal;
    }
    String path = "backends[" + index + "]";
    String where = settings.locations().get(path);
    int line = 0;
    int column = 0;
    if (where != null) {
      String[] parts = where.split(":", -1);
      line = Integer.parseInt(parts[0]);
      column = Integer.parseInt(parts[1]);
    }
    return new PoolConfigException(
        List.of(
            source
                + (where == null ? "" : ":" + where)
                + ": "
                + path
                + ": "
                + refusal.getMessage()),
        line,
        column,
        refusal);
  }

  /** Stops following the slot's health check, if any: its probe stops when no pool needs it. */
  private static void unfollow(Slot slot) {
    HealthService.Subscription subscription = slot.health.unfollow();
    if (subscription != null) {
      subscription.close();
    }
  }

  /** Refuses the slot every new lease, for good, and stops following its health. Under the lock. */
  private static void retire(Slot slot) {
    slot.retire();
    unfollow(slot);
  }

  /**
   * A health the slot's check observed, on the thread that finished the probe: the slot takes it
   * (unless it is stale), listeners hear of the change, and waiters look again on the timer.
   */
  /** What a backend without an arch needs: said the same by the builder and the YAML loader. */
  static String archRequired(String addr) {
    return "arch is required for "
        + addr
        + ": give one, or a health check of a type that discovers it (buildkit)";
  }

  /**
   * Takes what a slot's probe learned of its daemon: places the slot by it (publishing a new
   * topology when the archs it takes change) unless it has left the pool or follows another check
   * now. A slot not yet in the pool reads the monitor's latest when it joins instead.
   */
  @Override
  public void daemonObserved(Slot slot, Object from, DaemonInfo daemon) {
    synchronized (topologyLock) {
      HealthService.Subscription followed = slot.health.subscription();
      Topology current = topology;
      if (closed
          || followed == null
          || followed.subscriber() != from
          || !current.contains(slot)
          || !slot.place(daemon)) {
        return;
      }
      topology = new Topology(List.of(current.slots));
    }
    checkFailOpenExits();
    waiters.signal();
  }

  @Override
  public void healthObserved(Slot slot, Object from, Health health, long version) {
    if (slot.health.observe(from, health, version) == null) {
      return; // stale, or the slot has left the pool
    }
    Future<?> unused =
        schedule(
            () -> {
              checkFailOpenExits();
              waiters.signal();
            },
            0);
  }

  /**
   * A slot for {@code backend} as {@code config} configures it, with a breaker of {@code breakers}.
   */
  private Slot newSlot(
      Backend backend, int defaultMaxJobs, PoolConfig config, CircuitBreaker.Factory breakers) {
    int maxJobs = backend.maxJobs() == 0 ? defaultMaxJobs : backend.maxJobs();
    KnownArchs.warnIfUnknown(backend); // once per backend: a new slot is a backend joining
    LatencyEstimate latency =
        latencyDecay == null ? null : new LatencyEstimate(ticker, latencyDecay);
    ResilienceSettings resilience = config.settings().resilience();
    Slot slot =
        Slot.create(
            backend,
            maxJobs,
            breakers,
            resilience.rateLimitOf(backend.addr()),
            waiters,
            slowStart,
            latency,
            events);
    slot.adapt(resilience.adaptiveLimitOf(backend.addr()), maxJobs);
    return slot;
  }

  private long timeoutNanos(AcquireOptions options) {
    Duration timeout = options.timeout();
    return timeout == null ? acquireTimeoutNanos : Durations.saturatedNanos(timeout);
  }

  private void checkOpen() {
    if (closed) {
      throw new PoolException("the pool is closed");
    }
  }

  private static IllegalArgumentException negativeTimeout(Duration timeout) {
    return new IllegalArgumentException("timeout must be >= 0, was " + GoDuration.format(timeout));
  }

  @Override
  public String toString() {
    return "BackendPool" + List.of(topology.slots);
  }

  /**
   * One backend's drain, told apart from a later drain of the same slot by identity: the timer task
   * that finishes it carries it and acts only if it is still the slot's drain.
   */
  private static final class Drain {
    final Slot slot;
    final CompletableFuture<Void> end = new CompletableFuture<>();

    Drain(Slot slot) {
      this.slot = slot;
    }
  }
}
