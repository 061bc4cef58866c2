package dev.melange.pool;

import java.time.Instant;
import java.util.List;

/**
 * Something that happened to the pool's backends, as {@link BackendPool#subscribe} delivers it: in
 * the order it happened, on the pool's event thread, never on the thread that caused it.
 */
public sealed interface PoolEvent {

  /** When it happened. */
  Instant at();

  /** A backend was added at run time. */
  record BackendAdded(String addr, Instant at) implements PoolEvent {}

  /** A backend was removed ({@link BackendPool#remove}, or at the end of a drain). */
  record BackendRemoved(String addr, Instant at) implements PoolEvent {}

  /** A draining backend's last lease ended and it is gone ({@link BackendPool#drain}). */
  record BackendDrained(String addr, Instant at) implements PoolEvent {}

  /** A backend's circuit opened: it takes no leases until its recovery timeout. */
  record CircuitOpened(String addr, Instant at) implements PoolEvent {}

  /** A backend's open circuit let a trial lease through. */
  record CircuitHalfOpened(String addr, Instant at) implements PoolEvent {}

  /** A backend's circuit closed again after a successful trial. */
  record CircuitClosed(String addr, Instant at) implements PoolEvent {}

  /**
   * An operator changed what a backend may do ({@code cordon}, {@code uncordon}, {@code drain}).
   */
  record AdminStateChanged(String addr, AdminState from, AdminState to, Instant at)
      implements PoolEvent {}

  /**
   * A backend's adaptive concurrency limit moved ({@link AdaptiveLimit}).
   *
   * @param from the limit before
   * @param to the limit now
   */
  record LimitChanged(String addr, int from, int to, Instant at) implements PoolEvent {}

  /**
   * A backend's adaptive rate limit changed with its circuit or health score ({@link RateLimit}).
   *
   * @param from tokens a second before
   * @param to tokens a second now
   */
  record RateChanged(String addr, double from, double to, Instant at) implements PoolEvent {}

  /**
   * A backend's health probe named the arch it builds for natively, and the pool placed it: an arch
   * learned for a backend that left it out, or one that confirms the arch configured (ending an
   * {@link ArchMismatch}). Told again when what it takes changes.
   *
   * @param arch the arch it takes jobs for natively
   * @param emulatedArchs the archs it also takes under emulation ({@link Backend#allowEmulated})
   */
  record ArchDiscovered(String addr, String arch, List<String> emulatedArchs, Instant at)
      implements PoolEvent {

    /** Copies the archs. */
    public ArchDiscovered {
      emulatedArchs = List.copyOf(emulatedArchs);
    }
  }

  /**
   * A backend's configured arch contradicts its daemon's native platform: the pool holds it out of
   * every lease until the configuration is fixed (a reload, or remove and add) or the daemon
   * reports the configured arch.
   *
   * @param configured the arch configured
   * @param discovered the arch its daemon builds for natively
   * @param platform the daemon's native platform as it names it, e.g. {@code linux/arm64}
   */
  record ArchMismatch(
      String addr, String configured, String discovered, String platform, Instant at)
      implements PoolEvent {}

  /** A backend's health, as the pool acts on it, changed. */
  record HealthChanged(String addr, Health from, Health to, Instant at) implements PoolEvent {}

  /**
   * Every candidate of a request for this arch was unhealthy, and the pool routed to them anyway
   * (logged once, too).
   */
  record FailOpenEntered(String arch, Instant at) implements PoolEvent {}

  /** An arch that was failing open has a healthy backend again. */
  record FailOpenExited(String arch, Instant at) implements PoolEvent {}

  /**
   * No backend of an arch can take leases any more: every one is cordoned, draining, unhealthy or
   * circuit-open. An arch with no backends at all is never all down.
   */
  record AllDown(String arch, Instant at) implements PoolEvent {}

  /** An arch that was {@link AllDown} has a backend that can take leases again. */
  record Recovered(String arch, Instant at) implements PoolEvent {}
}
