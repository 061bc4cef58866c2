package dev.melange.pool;

/** What is observed of a backend's health (or what an operator says of it). */
public enum Health {
  /** Not known yet: its health check has not answered. */
  UNKNOWN,
  /** Takes leases (a backend without a health check is healthy). */
  HEALTHY,
  /** Gets no new leases, unless every candidate is unhealthy and the pool fails open. */
  UNHEALTHY
}
