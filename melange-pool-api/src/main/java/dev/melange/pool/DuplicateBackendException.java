package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;

/**
 * A backend with the same address is already in the pool. Message: {@code backend already exists:
 * <addr>}, the address with control characters escaped and cut when very long.
 */
public final class DuplicateBackendException extends PoolException {
  private static final long serialVersionUID = 1L;

  private final String addr;

  /**
   * @param addr the address that is already taken
   */
  public DuplicateBackendException(String addr) {
    super("backend already exists: " + DisplayText.shown(addr));
    this.addr = addr;
  }

  /** The address that is already taken. */
  public String addr() {
    return addr;
  }
}
