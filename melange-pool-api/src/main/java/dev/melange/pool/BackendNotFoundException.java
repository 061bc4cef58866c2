package dev.melange.pool;

/**
 * No backend with the given address is in the pool (message {@code backend not found: <addr>}), or
 * none matches the given pattern (message {@code no backend matches "<pattern>"}).
 */
public final class BackendNotFoundException extends PoolException {
  private static final long serialVersionUID = 1L;

  private final String addr;

  /**
   * @param addr the address that was not found
   */
  public BackendNotFoundException(String addr) {
    this("backend not found: " + addr, addr);
  }

  private BackendNotFoundException(String message, String addr) {
    super(message);
    this.addr = addr;
  }

  /**
   * No backend's address matches a pattern.
   *
   * @param pattern the glob that matched nothing
   */
  public static BackendNotFoundException noMatch(String pattern) {
    return new BackendNotFoundException("no backend matches \"" + pattern + "\"", pattern);
  }

  /** The address (or pattern) that was not found. */
  public String addr() {
    return addr;
  }
}
