package dev.melange.pool.core;

import dev.melange.pool.Backend;

/**
 * How the pool finds a backend by an address a caller gives: in canonical form ({@link
 * Backend#canonicalAddr}), the form every {@link Backend} holds, so that {@code TCP://X1:1234}
 * finds {@code tcp://x1:1234} in {@code remove}, and in the builder's per-backend settings.
 */
final class AddressKeys {
  private AddressKeys() {}

  /**
   * The key to look {@code addr} up by: its canonical form, or the text itself when it is no
   * address at all, which then matches no backend (and the caller says "not found", naming it).
   */
  static String of(String addr) {
    try {
      return Backend.canonicalAddr(addr);
    } catch (IllegalArgumentException notAnAddress) {
      return addr;
    }
  }
}
