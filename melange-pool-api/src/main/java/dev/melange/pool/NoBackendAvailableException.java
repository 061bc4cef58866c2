package dev.melange.pool;

/**
 * No lease could be granted. The {@link #reason()} tells whether waiting could ever help: {@link
 * Reason#NO_CAPACITY} may clear up, the other reasons will not without a change to the pool.
 */
public final class NoBackendAvailableException extends PoolException {
  private static final long serialVersionUID = 1L;

  /** Why no lease could be granted. */
  public enum Reason {
    /** No backend in the pool has the requested architecture. */
    UNKNOWN_ARCH,
    /** Backends have the architecture, but none matches the selector. */
    NO_MATCHING_BACKEND,
    /**
     * Matching backends exist, but none could take a lease before the timeout ran out (or it was
     * zero): each was at capacity, refused by its circuit breaker or its rate limit, cordoned or
     * draining, not yet probed, or unhealthy (and the pool did not fail open to it). The message
     * says which: melange-server's {@code all backends are at capacity or circuit-open} when only
     * those two hold them out, else each reason with its count.
     */
    NO_CAPACITY,
    /** The pool was closed before a lease could be granted. */
    POOL_CLOSED
  }

  private final Reason reason;

  /**
   * @param reason why no lease could be granted
   * @param message the full message, starting with {@code no available backend:}
   */
  public NoBackendAvailableException(Reason reason, String message) {
    super(message, false);
    this.reason = reason;
  }

  /** Why no lease could be granted. */
  public Reason reason() {
    return reason;
  }
}
