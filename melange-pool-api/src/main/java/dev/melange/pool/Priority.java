package dev.melange.pool;

/**
 * How urgently an acquire wants a slot when it has to wait ({@link
 * AcquireOptions#withPriority(Priority)}). When a slot frees, the waiter with the highest effective
 * priority that can use it gets it; among equals, the one that has waited longest. A waiter's
 * effective priority rises one level for each full {@code priorityAging} it has waited ({@link
 * BackendPool.Builder#priorityAging}), up to {@link #CRITICAL}, so a low priority never starves.
 *
 * <p>Priority only orders waiters: it never lets an acquire past a backend's {@code maxJobs}, and
 * an acquire that finds a free slot while nobody waits takes it whatever its priority.
 */
public enum Priority {
  /** Background work that may wait: served after every other level, until it has aged. */
  LOW(0),
  /** The default: what an acquire without a priority gets. */
  NORMAL(100),
  /** Served ahead of {@link #NORMAL} and {@link #LOW} waiters. */
  HIGH(200),
  /**
   * Served ahead of every other waiter (except those that have aged to this level and waited
   * longer), but, like every level, only with free slots.
   */
  CRITICAL(255);

  private final int value;

  Priority(int value) {
    this.value = value;
  }

  /** The level as a number from 0 ({@link #LOW}) to 255 ({@link #CRITICAL}); higher is sooner. */
  public int value() {
    return value;
  }
}
