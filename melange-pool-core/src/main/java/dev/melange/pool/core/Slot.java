package dev.melange.pool.core;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.RateLimit;
import dev.melange.pool.spi.CircuitBreaker;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One incarnation of a backend in the pool: its counter word ({@link SlotCounter}, the hot part),
 * and the cold rest: the backend as configured, where it is placed (its arch, learned from its
 * daemon for a backend that left it out), what the operator and its health check say of it, and its
 * adaptive limit. A backend removed and added again gets a new slot, so a late release of the old
 * incarnation never touches the new one.
 *
 * <p>Who writes what: the pool's topology lock guards placement, reconfiguration and the adaptive
 * limit ({@link #place}, {@link #reconfigure}, {@link #adapt}); its {@link SlotHealth}'s monitor
 * orders its health changes, so that the changes of one backend are told in the order they were
 * made. Everything the acquire path reads of them is folded into the counter word's flags.
 */
final class Slot extends SlotCounter {

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

  /** The pool's listeners, told of changes of health and placement. */
  final PoolEvents events;

  /** What its check and its operator say of its health. */
  final SlotHealth health = new SlotHealth(this);

  /** This slot's latency estimate, or null when the pool's strategy does not use latency. */
  final @Nullable LatencyEstimate latency;

  /** Its adaptive concurrency limit, which sets {@code maxJobs}; null for none. */
  private volatile @Nullable AdaptiveConcurrency adaptive;

  /** What the operator wants of the backend; the CORDONED flag says the same to the hot path. */
  private volatile AdminState adminState = AdminState.READY;

  private Slot(
      Backend backend,
      int maxJobs,
      CircuitBreaker breaker,
      WaitQueue waiters,
      SlowStart slowStart,
      @Nullable LatencyEstimate latency,
      PoolEvents events) {
    super(maxJobs, backend.weight(), breaker, waiters, slowStart);
    this.backend = backend;
    this.arch = backend.arch();
    this.placedBackend = backend;
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

  /** The rate-limited breaker, or null when the backend has no rate limit. */
  @Nullable RateLimitedCircuitBreaker rateLimited() {
    return breaker instanceof RateLimitedCircuitBreaker limited ? limited : null;
  }

  AdminState adminState() {
    return adminState;
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

  @Override
  public String toString() {
    return backend.addr() + " (" + active() + "/" + limit() + (isRetired() ? ", removed)" : ")");
  }
}
