package dev.melange.pool.internal;

/**
 * IP addresses written out, as addresses, host headers and probes read them: one reading for the
 * whole project. Not part of the API: the module exports this package only to melange-pool's own
 * modules.
 */
public final class IpLiterals {
  private IpLiterals() {}

  /** Four decimal numbers from 0 to 255, without leading zeros, joined by dots. */
  public static boolean isIpv4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty()
          || part.length() > 3
          || (part.length() > 1 && part.charAt(0) == '0')
          || !part.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }
}
