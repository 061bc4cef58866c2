package dev.melange.pool.core;

import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.core.health.HealthMonitor;
import dev.melange.pool.core.health.HealthService;
import org.jspecify.annotations.Nullable;

/**
 * A slot's health: what its check's monitor observes and what the operator says, and the counter
 * flags (UNHEALTHY, UNPROBED) that tell the acquire path. Its monitor orders the changes of one
 * backend's health, so that they are told in the order they were made; an observation from a
 * subscription since replaced, or older than one taken, is ignored.
 */
final class SlotHealth {
  private final Slot slot;

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

  /** What is observed of its health: healthy, as long as nothing checks it. */
  private volatile Health observed = Health.HEALTHY;

  /** The operator's word on its health, which beats {@code observed}. */
  private volatile HealthOverride healthOverride = HealthOverride.AUTO;

  SlotHealth(Slot slot) {
    this.slot = slot;
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

  /** The health the pool acts on: the override, else what is observed. */
  Health effective() {
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
    Health before = effective();
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
    Health before = effective();
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
    Health before = effective();
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
    Health after = effective();
    if (after != before) {
      slot.events.healthChanged(slot.backend.addr(), slot.arch, before, after);
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
    Health after = effective();
    if (before == Health.UNHEALTHY && after == Health.HEALTHY) {
      slot.startRamp(); // before the flag clears, so that no lease slips in at the full limit
    }
    int bits =
        switch (after) {
          case HEALTHY -> 0;
          case UNHEALTHY -> SlotCounter.UNHEALTHY;
          case UNKNOWN -> SlotCounter.UNPROBED;
        };
    slot.setFlags(SlotCounter.UNHEALTHY | SlotCounter.UNPROBED, bits);
  }

  /** The health its check observes (healthy without one), whatever the override. */
  Health observed() {
    return observed;
  }
}
