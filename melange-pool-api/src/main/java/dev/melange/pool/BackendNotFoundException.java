package dev.melange.pool;

/** No backend with the given address is in the pool. Message: {@code backend not found: <addr>}. */
public final class BackendNotFoundException extends PoolException {
  private static final long serialVersionUID = 1L;

  private final String addr;

  /**
   * @param addr the address that was not found
   */
  public BackendNotFoundException(String addr) {
    super("backend not found: " + addr);
    this.addr = addr;
  }

  /** The address that was not found. */
  public String addr() {
    return addr;
  }
}
