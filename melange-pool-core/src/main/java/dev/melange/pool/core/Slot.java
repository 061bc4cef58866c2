package dev.melange.pool.core;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.RateLimit;
import dev.melange.pool.core.health.HealthMonitor;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One incarnation of a backend in the pool: its job counter, its limit, its circuit breaker and
 * whether it has been removed. A backend removed and added again gets a new slot, so a late release
 * of the old incarnation never touches the new one.
 *
 * <p>Invariants: the jobs running are {@code active & ~FLAGS}, from 0 to {@code maxJobs}. Only
 * {@link #tryReserve()} increments {@code active}, by a compare-and-set that fails at the limit;
 * only {@link #release()} decrements it, and each lease calls it exactly once for its one
 * successful reservation. Removal adds {@link #RETIRED} once, before the topology without this slot
 * is published: from then on every reservation sees the slot full and fails, while the leases
 * already out release as before. So "removed" and "full" are one check on one word, and no lease
 * can slip in between them.
 *
 * <p>Slow start works the same way: while the slot ramps up, the word also carries {@link
 * #RAMPING}, so the acquire path's one comparison, {@code active < maxJobs}, fails for it as for a
 * full slot, and only then does a reader look closer ({@link #hasRoom}, {@link #tryReserve}): the
 * ramp's limit comes from the ticker. The first reader to find the ramp over clears the flag. A
 * slot that does not ramp pays nothing at all.
 *
 * <p>Layout: the fields the acquire/release path reads ({@code active}, {@code maxJobs}, {@code
 * breaker}, {@code waiters}, and {@code weight} for the weighted strategies) share one cache line,
 * padded on both sides so that two slots' counters never share a line (padding by class layout, as
 * Caffeine does, because {@code @Contended} needs a JVM flag).
 */
final class Slot extends SlotPaddingAfter {
  /**
   * Added to the counter on removal; above any {@code maxJobs} ({@link Backend#MAX_JOBS_LIMIT}).
   */
  static final int RETIRED = 1 << 30;

  /** Set in the counter while the slot ramps up after a slow start; also above any maxJobs. */
  static final int RAMPING = 1 << 29;

  /**
   * Set in the counter while an operator holds the backend out (cordoned or draining): like
   * removal, it makes the slot read as full; unlike removal, it can be cleared.
   */
  static final int CORDONED = 1 << 28;

  /**
   * Set in the counter while the backend is unhealthy (by override or probe): it reads as full,
   * except to a request that fails open ({@link #tryReserveFailingOpen}).
   */
  static final int UNHEALTHY = 1 << 27;

  /**
   * Set in the counter while the backend's health is unknown (its check has not answered yet): it
   * reads as full to every request, failing open or not, and does not make a request fail open.
   */
  static final int UNPROBED = 1 << 26;

  /**
   * Set in the counter while its configured arch contradicts its daemon's native platform: it reads
   * as full to every request, failing open or not, until the configuration or the daemon changes.
   */
  static final int MISPLACED = 1 << 25;

  private static final int FLAGS = RETIRED | RAMPING | CORDONED | UNHEALTHY | UNPROBED | MISPLACED;

  /** The flags that keep a slot out even of a request that fails open. */
  private static final int OUT = RETIRED | CORDONED | UNPROBED | MISPLACED;

  /** The backend as configured now; a reload may change its labels, limit or weight in place. */
  volatile Backend backend;

  /**
   * The arch it takes leases for natively: the configured one, or the one its probe named for a
   * backend that left it out (empty until then). Written under the pool's topology lock.
   */
  volatile String arch;

  /**
   * {@link #backend} with {@link #arch} for a backend that left its arch out: what leases and
   * operators' calls hand out. Kept, not built per call, so that {@code lease.backend()} allocates
   * nothing. Written with either, under the pool's topology lock (or before the slot is shared).
   */
  private volatile Backend placedBackend;

  /** The archs it takes under emulation, behind their native backends. Under the topology lock. */
  private volatile List<String> emulatedArchs = List.of();

  /** Why the pool holds it out (its arch contradicts its daemon's), or null. Under the lock. */
  private volatile @Nullable String problem;

  /** Whether a daemon's platform has placed it yet. Under the topology lock. */
  private boolean placedByDaemon;

  /** Its health check, or null; changed by reloads under the pool's topology lock. */
  volatile @Nullable HealthCheck check;

  /** Following its health check's monitor, or null without a check. */
  private volatile HealthService.@Nullable Subscription subscription;

  /**
   * The subscriber of the current subscription: observations from an older one (or any, once the
   * slot leaves the pool) are ignored.
   */
  private @Nullable Object follower;

  /** Guarded by {@code this}: the version of the observation last taken. */
  private long observedVersion = -1;

  /** The pool's slow start; its ticker times the ramp. */
  private final SlowStart slowStart;

  /** The pool's listeners, told of changes of health. */
  private final PoolEvents events;

  /** The ticker reading when the current ramp began; meaningful while the word is RAMPING. */
  private volatile long rampStartNanos;

  /** This slot's latency estimate, or null when the pool's strategy does not use latency. */
  final @Nullable LatencyEstimate latency;

  /** Its adaptive concurrency limit, which sets {@code maxJobs}; null for none. */
  private volatile @Nullable AdaptiveConcurrency adaptive;

  /** What the operator wants of the backend; the CORDONED flag says the same to the hot path. */
  private volatile AdminState adminState = AdminState.READY;

  /** What is observed of its health: healthy, as long as nothing checks it. */
  private volatile Health observed = Health.HEALTHY;

  /** The operator's word on its health, which beats {@code observed}. */
  private volatile HealthOverride healthOverride = HealthOverride.AUTO;

  private Slot(
      Backend backend,
      int maxJobs,
      CircuitBreaker breaker,
      WaitQueue waiters,
      SlowStart slowStart,
      @Nullable LatencyEstimate latency,
      PoolEvents events) {
    super(maxJobs, backend.weight(), breaker, waiters);
    this.backend = backend;
    this.arch = backend.arch();
    this.placedBackend = backend;
    this.slowStart = slowStart;
    this.latency = latency;
    this.events = events;
  }

  /**
   * A slot whose breaker reports to it: a circuit that closes again starts a ramp, and every change
   * is an event.
   *
   * @param maxJobs the backend's effective limit (the pool's default for a {@code maxJobs} of 0)
   */
  static Slot create(
      Backend backend,
      int maxJobs,
      CircuitBreaker.Factory breakers,
      @Nullable RateLimit rateLimit,
      WaitQueue waiters,
      SlowStart slowStart,
      @Nullable LatencyEstimate latency,
      PoolEvents events) {
    CircuitListener listener = new CircuitListener(events);
    CircuitBreaker breaker;
    RateLimitedCircuitBreaker limited = null;
    if (rateLimit == null) {
      breaker = breakers.create(backend, slowStart.ticker, listener);
    } else {
      limited =
          RateLimitedCircuitBreaker.create(
              rateLimit, slowStart.ticker, events, breakers, backend, listener);
      breaker = limited;
    }
    Slot slot = new Slot(backend, maxJobs, breaker, waiters, slowStart, latency, events);
    listener.slot = slot;
    if (limited != null) {
      limited.slot = slot;
    }
    return slot;
  }

  /** Its {@code maxJobs} as configured, whatever an adaptive limit makes of it now. */
  int configuredMaxJobs() {
    AdaptiveConcurrency current = adaptive;
    return current == null ? maxJobs : current.max();
  }

  /** Its adaptive limit, or null; a reload may set or clear it. */
  @Nullable AdaptiveConcurrency adaptive() {
    return adaptive;
  }

  /**
   * Gives the slot an adaptive limit of {@code settings} (null for none), or keeps the one it has
   * when the settings are the same. Under the pool's topology lock.
   *
   * @param configured the backend's configured maxJobs
   */
  void adapt(@Nullable AdaptiveLimit settings, int configured) {
    AdaptiveConcurrency current = adaptive;
    if (current != null && current.settings.equals(settings)) {
      current.reconfigure(configured);
      return;
    }
    if (current != null) {
      current.retire(); // it never writes maxJobs again, even from a sample under way now
    }
    if (settings == null) {
      adaptive = null;
      maxJobs = configured;
      if (current != null) {
        events.limitChanged(backend.addr(), current.limit(), configured);
      }
      return;
    }
    AdaptiveConcurrency next = AdaptiveConcurrency.create(settings, this, configured, events);
    adaptive = next;
    maxJobs = next.limit();
  }

  /**
   * The score its health check gives (the window model's share of recent probes that passed), or
   * NaN when it gives none, or an operator's override decides its health.
   */
  double healthScore() {
    HealthService.Subscription followed = subscription;
    return followed == null || healthOverride != HealthOverride.AUTO
        ? Double.NaN
        : followed.monitor.score();
  }

  /** The rate-limited breaker, or null when the backend has no rate limit. */
  @Nullable RateLimitedCircuitBreaker rateLimited() {
    return breaker instanceof RateLimitedCircuitBreaker limited ? limited : null;
  }

  /**
   * Takes a slot if one is free, with one compare-and-set; false if full (or ramping and at its
   * limit for now), removed, or the race was lost.
   */
  boolean tryReserve() {
    int current = active;
    if (current < maxJobs) {
      return ACTIVE.compareAndSet(this, current, current + 1);
    }
    return (current & FLAGS) == RAMPING
        && (current & ~RAMPING) < rampLimit()
        && ACTIVE.compareAndSet(this, current, current + 1);
  }

  /** Gives back a slot taken by {@link #tryReserve()}. */
  void release() {
    ACTIVE.getAndAdd(this, -1);
  }

  AdminState adminState() {
    return adminState;
  }

  /** The health the pool acts on: the override, else what is observed. */
  Health health() {
    return switch (healthOverride) {
      case HEALTHY -> Health.HEALTHY;
      case UNHEALTHY -> Health.UNHEALTHY;
      case AUTO -> observed;
    };
  }

  /**
   * Sets the operator's word and the UNHEALTHY flag to match; a backend that turns healthy from
   * unhealthy slow-starts. Returns the health before.
   */
  synchronized Health override(HealthOverride override) {
    Health before = health();
    healthOverride = override;
    applyHealth(before);
    tellHealth(before);
    return before;
  }

  /**
   * Takes a health its check observed, unless it comes from a subscription since replaced or is
   * older than one taken. Returns the health before, or null when the observation was ignored.
   */
  synchronized @Nullable Health observe(Object from, Health health, long version) {
    if (from != follower || version < observedVersion) {
      return null;
    }
    observedVersion = version;
    Health before = health();
    observed = health;
    applyHealth(before);
    tellHealth(before);
    return before;
  }

  /**
   * Follows a new health check (or none), replacing the one followed; the health observed starts
   * from the subscription's. Returns the health before. The caller closes the old subscription.
   *
   * @param tell whether a change is told: yes for a slot in the pool, no for one joining it
   */
  synchronized Health follow(
      @Nullable HealthCheck check,
      HealthService.@Nullable Subscription subscription,
      Object from,
      boolean tell) {
    Health before = health();
    this.check = check;
    this.subscription = subscription;
    this.follower = from;
    if (subscription == null) {
      observedVersion = -1;
      observed = Health.HEALTHY;
    } else {
      HealthMonitor.Observation start =
          from instanceof HealthFollower follower
              ? follower.attach(subscription.start)
              : subscription.start;
      observedVersion = start.version();
      observed = start.health();
    }
    applyHealth(before);
    if (tell) {
      tellHealth(before);
    }
    return before;
  }

  /**
   * Stops taking what its check observes (the slot is leaving the pool); returns the subscription
   * to close, or null. Observations already on their way are ignored from now on.
   */
  synchronized HealthService.@Nullable Subscription unfollow() {
    HealthService.Subscription followed = subscription;
    subscription = null;
    follower = null;
    return followed;
  }

  /**
   * Tells listeners of a change of health, under this slot's monitor, so that the changes of one
   * backend are told in the order they were made.
   */
  private void tellHealth(Health before) {
    Health after = health();
    if (after != before) {
      events.healthChanged(backend.addr(), arch, before, after);
    }
  }

  /** The subscription followed now, or null. */
  HealthService.@Nullable Subscription subscription() {
    return subscription;
  }

  /**
   * Sets the UNHEALTHY and UNPROBED flags to match the health now; a backend that turns healthy
   * from unhealthy slow-starts.
   */
  private void applyHealth(Health before) {
    Health after = health();
    if (before == Health.UNHEALTHY && after == Health.HEALTHY) {
      startRamp(); // before the flag clears, so that no lease slips in at the full limit
    }
    int bits =
        switch (after) {
          case HEALTHY -> 0;
          case UNHEALTHY -> UNHEALTHY;
          case UNKNOWN -> UNPROBED;
        };
    setFlags(UNHEALTHY | UNPROBED, bits);
  }

  /** The health its check observes (healthy without one), whatever the override. */
  Health observed() {
    return observed;
  }

  /** The backend as configured, with the arch it was placed by when it left its arch out. */
  Backend placedBackend() {
    return placedBackend;
  }

  private void updatePlacedBackend() {
    Backend configured = backend;
    String placed = arch;
    placedBackend =
        configured.discoversArch() && !placed.isEmpty() ? configured.withArch(placed) : configured;
  }

  /** The archs it takes under emulation, behind their native backends. */
  List<String> emulatedArchs() {
    return emulatedArchs;
  }

  /** Why the pool holds it out, or null. */
  @Nullable String problem() {
    return problem;
  }

  /**
   * Places the backend by what its probe learned of its daemon (null: nothing yet): a backend that
   * left its arch out takes the daemon's native one; one whose configured arch contradicts it is
   * held out ({@link #MISPLACED}) until they agree; one that allows emulation also takes the archs
   * the daemon emulates. Tells what changed. Under the pool's topology lock.
   *
   * @return whether the archs it takes changed, so that the pool must publish a new topology
   */
  boolean place(@Nullable DaemonInfo daemon) {
    Backend configured = backend;
    String nativeArch = daemon == null ? null : daemon.nativeArch();
    String platform = daemon == null ? null : daemon.nativePlatform();
    String placed =
        !configured.discoversArch() ? configured.arch() : nativeArch != null ? nativeArch : arch;
    boolean mismatched = nativeArch != null && !nativeArch.equals(placed);
    String mismatch =
        !mismatched
            ? null
            : "arch "
                + placed
                + " is configured, but the daemon's native platform is "
                + platform
                + " ("
                + nativeArch
                + ")";
    List<String> emulated = List.of();
    if (daemon != null && configured.allowEmulated() && !mismatched && !placed.isEmpty()) {
      String own = placed;
      emulated = daemon.emulatedArchs().stream().filter(each -> !each.equals(own)).toList();
    }
    boolean moved = !placed.equals(arch) || !emulated.equals(emulatedArchs);
    String before = problem;
    arch = placed;
    updatePlacedBackend();
    emulatedArchs = emulated;
    problem = mismatch;
    setFlag(MISPLACED, mismatch != null);
    if (nativeArch != null) {
      if (mismatch != null) {
        if (!mismatch.equals(before)) {
          events.archMismatch(
              configured.addr(), placed, nativeArch, String.valueOf(platform), mismatch);
        }
      } else if (moved || before != null || !placedByDaemon) {
        events.archDiscovered(configured.addr(), placed, emulated);
      }
      placedByDaemon = true;
    }
    return moved;
  }

  /**
   * Takes a reload's new configuration of the same backend: its labels, weight, backup, and limit
   * apply in place. Under the pool's topology lock; the pool publishes a new topology after.
   */
  void reconfigure(Backend backend, int maxJobs, @Nullable AdaptiveLimit adaptiveLimit) {
    this.backend = backend;
    updatePlacedBackend();
    this.weight = backend.weight();
    adapt(adaptiveLimit, maxJobs);
  }

  /**
   * Reserves a slot of an unhealthy backend for a request that fails open: as {@link #tryReserve},
   * but ignoring only the UNHEALTHY flag (removed, cordoned and unprobed backends stay out).
   */
  boolean tryReserveFailingOpen() {
    int current = active;
    if ((current & OUT) != 0) {
      return false;
    }
    int jobs = current & ~(UNHEALTHY | RAMPING);
    int limit = (current & RAMPING) == 0 ? maxJobs : rampLimit();
    return jobs < limit && ACTIVE.compareAndSet(this, current, current + 1);
  }

  /** Whether the slot is in the pool, ready, and known unhealthy: what fail-open may route to. */
  boolean isFailOpenCandidate() {
    return (active & (OUT | UNHEALTHY)) == UNHEALTHY;
  }

  /** Whether the slot is in the pool, ready and healthy. */
  boolean isReadyAndHealthy() {
    return (active & (OUT | UNHEALTHY)) == 0;
  }

  /**
   * Whether the slot is in the pool, ready and not known unhealthy (healthy, or not probed yet): a
   * reason not to fail open.
   */
  boolean isReadyAndNotUnhealthy() {
    return (active & (RETIRED | CORDONED | UNHEALTHY | MISPLACED)) == 0;
  }

  /** Holds the backend out of new leases ({@code CORDONED} or {@code DRAINING}); leases finish. */
  void holdOut(AdminState state) {
    adminState = state;
    setFlag(CORDONED, true);
  }

  /** Back to {@code READY}: the slot takes leases again. */
  void readmit() {
    adminState = AdminState.READY;
    setFlag(CORDONED, false);
  }

  /** Whether a reservation could succeed now (removed slots have none). */
  boolean hasRoom() {
    int current = active;
    return current < maxJobs
        || ((current & FLAGS) == RAMPING && (current & ~RAMPING) < rampLimit());
  }

  /** The jobs running on this slot now. */
  int active() {
    return active & ~FLAGS;
  }

  /** How many jobs the slot may run now: {@code maxJobs}, or less while it ramps up. */
  int limit() {
    return (active & RAMPING) == 0 ? maxJobs : rampLimit();
  }

  /** The slot's weight now: the backend's, or less while it ramps up. */
  int weightNow() {
    return (active & RAMPING) == 0 ? weight : rampedWeight();
  }

  /**
   * Whether a word read from {@code active} is that of a ramping slot still in the pool: the one
   * case where {@code word >= maxJobs} does not mean full.
   */
  static boolean isRampingWord(int word) {
    return (word & FLAGS) == RAMPING;
  }

  boolean isRamping() {
    return (active & RAMPING) != 0;
  }

  boolean isRetired() {
    return (active & RETIRED) != 0;
  }

  /** Refuses every later reservation; leases already out finish and release normally. */
  void retire() {
    ACTIVE.getAndAdd(this, RETIRED);
  }

  /**
   * Starts a ramp from a limit of 1 up to {@code maxJobs} over the pool's slow-start time (when it
   * has one). A ramp under way starts over.
   */
  void startRamp() {
    if (slowStart.nanos == 0 || (maxJobs == 1 && weight == 1)) {
      return;
    }
    rampStartNanos = slowStart.ticker.read();
    setFlag(RAMPING, true);
  }

  /**
   * How long until the ramp next raises the limit, for waiters to look again then; {@code
   * Long.MAX_VALUE} when the slot is not ramping.
   */
  long nanosUntilRampStep() {
    if (!isRamping()) {
      return Long.MAX_VALUE;
    }
    long elapsed = slowStart.ticker.read() - rampStartNanos;
    int current = rampLimit();
    if (current >= maxJobs) {
      return Long.MAX_VALUE; // no step left: only a release frees room now, and it signals
    }
    // The limit becomes current + 1 once maxJobs * elapsed / nanos exceeds current. No overflow:
    // current < maxJobs <= 10^6 and nanos <= 3.6 * 10^12.
    long stepAt = current * slowStart.nanos / maxJobs + 1;
    return Math.max(0, stepAt - elapsed);
  }

  /** The ramp's limit now; ends the ramp (clears the flag) once it is over. */
  private int rampLimit() {
    long start = rampStartNanos;
    long elapsed = slowStart.ticker.read() - start;
    if (elapsed >= slowStart.nanos) {
      endRamp(start);
      return maxJobs;
    }
    return slowStart.scale(maxJobs, elapsed);
  }

  /**
   * Clears the flag of the ramp that began at {@code start}. A ramp that started over meanwhile
   * ({@link #startRamp} found the flag still set and left it) gets its flag back.
   */
  private void endRamp(long start) {
    setFlag(RAMPING, false);
    if (rampStartNanos != start) {
      setFlag(RAMPING, true);
    }
  }

  private void setFlag(int flag, boolean on) {
    setFlags(flag, on ? flag : 0);
  }

  /** Sets the flags of {@code mask} to {@code bits}, in one compare-and-set. */
  private void setFlags(int mask, int bits) {
    while (true) {
      int current = active;
      int next = (current & ~mask) | bits;
      if (current == next || ACTIVE.compareAndSet(this, current, next)) {
        return;
      }
    }
  }

  private int rampedWeight() {
    long elapsed = slowStart.ticker.read() - rampStartNanos;
    return elapsed >= slowStart.nanos ? weight : slowStart.scale(weight, elapsed);
  }

  @Override
  public String toString() {
    return backend.addr() + " (" + active() + "/" + limit() + (isRetired() ? ", removed)" : ")");
  }
}

/** Starts its slot's ramp when the slot's circuit closes again, and tells the pool's listeners. */
final class CircuitListener implements CircuitBreaker.Listener {
  private final PoolEvents events;

  /** Set right after the breaker is made; a breaker changes state only once leases flow. */
  volatile @Nullable Slot slot;

  CircuitListener(PoolEvents events) {
    this.events = events;
  }

  @Override
  public void onStateChange(CircuitBreaker.State from, CircuitBreaker.State to) {
    Slot target = slot;
    if (target == null) {
      return;
    }
    if (to == CircuitBreaker.State.CLOSED) {
      target.startRamp();
    }
    events.circuitChanged(target.backend.addr(), target.arch, to);
  }
}

/**
 * Padding before the hot fields: bytes, not longs. The JVM (15 and later) fills gaps in a
 * superclass's layout with a subclass's fields; with long padding, {@code active} landed in the
 * 4-byte gap after the object header, before the padding, next to whatever object precedes the slot
 * in memory (often the previous slot's circuit breaker, read on every scan). Bytes leave no gap to
 * fill. JOL's {@code ClassLayout} shows the result.
 */
@SuppressWarnings("unused")
abstract class SlotPaddingBefore {
  byte b00,
      b01,
      b02,
      b03,
      b04,
      b05,
      b06,
      b07,
      b08,
      b09,
      b10,
      b11,
      b12,
      b13,
      b14,
      b15,
      b16,
      b17,
      b18,
      b19,
      b20,
      b21,
      b22,
      b23,
      b24,
      b25,
      b26,
      b27,
      b28,
      b29,
      b30,
      b31,
      b32,
      b33,
      b34,
      b35,
      b36,
      b37,
      b38,
      b39,
      b40,
      b41,
      b42,
      b43,
      b44,
      b45,
      b46,
      b47,
      b48,
      b49,
      b50,
      b51,
      b52,
      b53,
      b54,
      b55,
      b56,
      b57,
      b58,
      b59,
      b60,
      b61,
      b62,
      b63;
}

/** The fields the selection scan reads, on one cache line. */
abstract class SlotHotFields extends SlotPaddingBefore {
  static final VarHandle ACTIVE;

  static {
    try {
      ACTIVE = MethodHandles.lookup().findVarHandle(SlotHotFields.class, "active", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  volatile int active;

  /**
   * Plain fields, not final, only so that a reload can change them in place (under the topology
   * lock, followed by a new topology's volatile publication); the JIT treats final instance fields
   * as ordinary ones anyway. A reader that sees the old value for a moment errs by one lease.
   */
  int maxJobs;

  int weight;

  final CircuitBreaker breaker;

  /** Read on every release, so it sits with the counter rather than a cache line away. */
  final WaitQueue waiters;

  SlotHotFields(int maxJobs, int weight, CircuitBreaker breaker, WaitQueue waiters) {
    this.maxJobs = maxJobs;
    this.weight = weight;
    this.breaker = breaker;
    this.waiters = waiters;
  }
}

/** Padding after the hot fields. */
@SuppressWarnings("unused")
abstract class SlotPaddingAfter extends SlotHotFields {
  long p10, p11, p12, p13, p14, p15, p16, p17;

  SlotPaddingAfter(int maxJobs, int weight, CircuitBreaker breaker, WaitQueue waiters) {
    super(maxJobs, weight, breaker, waiters);
  }
}
