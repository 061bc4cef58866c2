package dev.melange.pool.spi;

/**
 * Chooses which candidate takes a lease: the pool's strategy. The pool asks it once per lease, on
 * the acquire path, concurrently from any thread, with the backends of the requested arch whose
 * labels match the selector (first the primaries; the backups only when no primary can take the
 * lease).
 *
 * <p>A pick sees the candidates through {@link Candidates}, an index-based view of live counters:
 * it must be thread-safe, must not block, must not allocate, and must not throw. Reads are racy by
 * design: the pool reserves the chosen candidate with a compare-and-set and, if another thread took
 * the last slot first, calls {@link #pick} again with the same view, which by then shows the
 * change. A strategy that returns a candidate that cannot take a lease gets asked again a bounded
 * number of times, then the acquire waits as if all were full.
 *
 * <p>Built-in strategies are chosen by name ({@code least-loaded}, {@code round-robin}, {@code
 * random}, {@code weighted-random}, {@code power-of-two}, {@code weighted-least-request}, {@code
 * peak-ewma}); a custom one is given to {@code BackendPool.Builder.strategy(LoadBalancer)}. One
 * instance serves the whole pool.
 */
@FunctionalInterface
public interface LoadBalancer {

  /** What {@link #pick} returns when no candidate can take a lease. */
  int NONE = -1;

  /**
   * Chooses a candidate that can take a lease now ({@link Candidates#canTake}).
   *
   * @return the chosen index, from 0 to {@code candidates.size() - 1}; or {@link #NONE}, which the
   *     pool takes to mean that no candidate can take a lease now (it tries the backups, then
   *     queues the caller), so return it only then
   */
  int pick(Candidates candidates);

  /**
   * Whether {@link #pick} reads {@link Candidates#latencyNanos}. Only then does the pool time each
   * lease (two clock reads per lease), so strategies that do not need latency do not pay for it.
   */
  default boolean usesLatency() {
    return false;
  }

  /**
   * The candidates of one pick, by index, in configuration order. Every reading is of the moment:
   * two calls may disagree while other threads acquire and release. The same view (and so its
   * {@link #nextTicket()}) serves every pick for the same arch, selector and kind (primary or
   * backup) until the pool's backends change.
   */
  interface Candidates {

    /** How many candidates there are; at least 1. */
    int size();

    /** Leases out on the candidate now. */
    int active(int index);

    /**
     * How many leases the candidate may hold now: its {@code maxJobs}, or less while it ramps up
     * after a slow start. At least 1.
     */
    int maxJobs(int index);

    /** The candidate's weight now: its configured weight, scaled down while it ramps up. */
    int weight(int index);

    /** Whether every candidate has the same configured weight (ramps aside). */
    boolean weightsEqual();

    /**
     * The candidate's peak-EWMA latency estimate in nanoseconds, decayed to now; 0 unless the
     * strategy {@linkplain LoadBalancer#usesLatency() uses latency}.
     */
    long latencyNanos(int index);

    /** Whether the candidate's circuit breaker would admit a lease now. */
    boolean isAdmitting(int index);

    /**
     * Whether the candidate can take a lease now: fewer than {@link #maxJobs} leases out and its
     * circuit admitting.
     */
    default boolean canTake(int index) {
      return active(index) < maxJobs(index) && isAdmitting(index);
    }

    /**
     * A number one higher than the last call's, for this view, across threads: a round-robin
     * cursor.
     */
    long nextTicket();
  }
}
