package dev.melange.pool;

/**
 * What an operator wants of a backend, apart from what is observed of it (its health, its circuit).
 * Only {@link #READY} backends take new leases; leases already out always finish.
 */
public enum AdminState {
  /** Takes leases. */
  READY,
  /** Held out of new leases until uncordoned ({@link BackendPool#cordon}). */
  CORDONED,
  /** On its way out: removed once its last lease ends ({@link BackendPool#drain}). */
  DRAINING
}
