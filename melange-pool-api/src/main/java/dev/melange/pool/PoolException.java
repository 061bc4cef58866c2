package dev.melange.pool;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception melange-pool throws on purpose. Unchecked: a pool problem is either a
 * configuration mistake, to be fixed, or a capacity problem, to be handled where the caller can.
 */
public class PoolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, with the offending value
   */
  public PoolException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong, with the offending value
   * @param cause the underlying failure, if any
   */
  public PoolException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /**
   * For rejections on the hot path, which are expected and frequent: no stack trace is filled in.
   */
  protected PoolException(String message, boolean writableStackTrace) {
    super(message, null, false, writableStackTrace);
  }
}
