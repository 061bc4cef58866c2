package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;

/**
 * No backend with the given address is in the pool (message {@code backend not found: <addr>}), or
 * none matches the given pattern (message {@code no backend matches "<pattern>"}). The message
 * shows the address or pattern with control characters escaped ({@code \n}, {@code \u001b}) and cut
 * when very long, so that it is safe to log or send back; {@link #addr()} has it as given.
 */
public final class BackendNotFoundException extends PoolException {
  private static final long serialVersionUID = 1L;

  private final String addr;

  /**
   * @param addr the address that was not found
   */
  public BackendNotFoundException(String addr) {
    this("backend not found: " + DisplayText.shown(addr), addr);
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
    return new BackendNotFoundException(
        "no backend matches " + DisplayText.quoted(pattern), pattern);
  }

  /** The address (or pattern) that was not found, as given. */
  public String addr() {
    return addr;
  }
}
