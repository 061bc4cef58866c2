package dev.melange.pool.core.health;

import dev.melange.pool.HealthCheck;
import java.util.Locale;

/**
 * Where a {@code tcp} or {@code http} probe goes: the host and port of a backend's address. The
 * address forms melange-server takes ({@code tcp://host:port}, a bare {@code host:port}) and {@code
 * http(s)://host[:port]} are understood; {@code [::1]:1234} for IPv6.
 *
 * @param secure whether an http probe should use https (the address said {@code https://})
 */
public record ProbeEndpoint(String host, int port, boolean secure) {

  /**
   * The endpoint of {@code addr}, with {@code portOverride} (when not 0) instead of its port.
   *
   * @throws IllegalArgumentException saying why the address has no host and port to probe
   */
  public static ProbeEndpoint of(String addr, int portOverride, String type) {
    String scheme = "tcp";
    String rest = addr;
    int separator = addr.indexOf("://");
    if (separator >= 0) {
      scheme = addr.substring(0, separator).toLowerCase(Locale.ROOT);
      rest = addr.substring(separator + 3);
    }
    if (!scheme.equals("tcp") && !scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          article(type)
              + " "
              + type
              + " health check needs a host:port address, and "
              + addr
              + " is not one ("
              + scheme
              + "://); use a probe type that understands it, or no health check for this"
              + " backend (healthCheck: false)");
    }
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    int at = authority.lastIndexOf('@');
    authority = authority.substring(at + 1);
    String host;
    String portText = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw bad(addr, type, "an unclosed [ in the host");
      }
      host = authority.substring(1, close);
      String after = authority.substring(close + 1);
      if (after.startsWith(":")) {
        portText = after.substring(1);
      } else if (!after.isEmpty()) {
        throw bad(addr, type, "\"" + after + "\" after the host");
      }
    } else {
      if (authority.indexOf(':') != authority.lastIndexOf(':')) {
        throw bad(addr, type, "an IPv6 address needs brackets, as in [::1]:1234");
      }
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      portText = colon < 0 ? null : authority.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw bad(addr, type, "no host");
    }
    int port = 0;
    if (portText != null) {
      port = parsePort(portText);
      if (port < 0) {
        throw bad(addr, type, "port \"" + portText + "\" is not a number from 1 to 65535");
      }
    }
    if (portOverride != 0) {
      port = portOverride;
    } else if (port == 0) {
      port = scheme.equals("http") ? 80 : scheme.equals("https") ? 443 : 0;
    }
    if (port == 0) {
      throw bad(addr, type, "no port (give one in the address or as healthCheck.port)");
    }
    return new ProbeEndpoint(host, port, scheme.equals("https"));
  }

  private static int parsePort(String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    int port = Integer.parseInt(text);
    return port >= 1 && port <= 65535 ? port : -1;
  }

  private static IllegalArgumentException bad(String addr, String type, String problem) {
    return new IllegalArgumentException(
        article(type) + " " + type + " health check cannot probe " + addr + ": " + problem);
  }

  /** "an http", "a tcp". */
  private static String article(String type) {
    return type.equals(HealthCheck.HTTP) ? "an" : "a";
  }

  /** {@code host:port}, IPv6 hosts in brackets. */
  String authority() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
