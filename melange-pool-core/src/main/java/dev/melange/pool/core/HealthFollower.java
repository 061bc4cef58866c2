package dev.melange.pool.core;

import dev.melange.pool.DaemonInfo;
import dev.melange.pool.Health;
import dev.melange.pool.core.health.HealthMonitor;

/**
 * One slot's subscriber to a {@link HealthMonitor}. A subscription exists before the slot follows
 * it (a reload subscribes to every new check before it changes anything, so that a probe that
 * cannot be made changes nothing), and the monitor's first probe may answer meanwhile: until the
 * slot takes it over ({@link #attach}), the follower keeps the latest observation for it.
 */
final class HealthFollower implements HealthMonitor.Subscriber {
  /** Where the slot's observations go once attached: the pool, seen only through this. */
  interface Observer {
    /** {@code from}'s monitor observed {@code health}, its {@code version}th observation. */
    void healthObserved(Slot slot, Object from, Health health, long version);

    /** {@code from}'s monitor heard the daemon describe itself. */
    void daemonObserved(Slot slot, Object from, DaemonInfo daemon);
  }

  private final Observer pool;
  private final Slot slot;

  /** Guarded by {@code this}. */
  private boolean attached;

  /** Guarded by {@code this}: the latest observation before attaching, or null. */
  private HealthMonitor.@org.jspecify.annotations.Nullable Observation pending;

  HealthFollower(Observer pool, Slot slot) {
    this.pool = pool;
    this.slot = slot;
  }

  @Override
  public void observed(Health health, long version) {
    synchronized (this) {
      if (!attached) {
        if (pending == null || version > pending.version()) {
          pending = new HealthMonitor.Observation(health, version);
        }
        return;
      }
    }
    pool.healthObserved(slot, this, health, version);
  }

  @Override
  public void discovered(DaemonInfo daemon) {
    // Not buffered: a slot reads the monitor's latest when it joins the pool (see follow).
    pool.daemonObserved(slot, this, daemon);
  }

  /**
   * From now on observations go to the slot; returns the one to start from: {@code start}, or one
   * that came later. The slot calls it holding its own monitor, so an observation passed on from
   * here on waits until the slot follows this one.
   */
  synchronized HealthMonitor.Observation attach(HealthMonitor.Observation start) {
    attached = true;
    HealthMonitor.Observation later = pending;
    pending = null;
    return later != null && later.version() > start.version() ? later : start;
  }
}
