package dev.melange.pool;

/**
 * An operator's word on a backend's health, which beats what is observed ({@link
 * BackendPool#setHealth}).
 */
public enum HealthOverride {
  /** Healthy, whatever is observed. */
  HEALTHY,
  /** Unhealthy, whatever is observed. */
  UNHEALTHY,
  /** What is observed. */
  AUTO
}
