package dev.melange.pool.buildkit.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Reads a listen address as Go's {@code net.Listen} does: {@code host:port}, {@code [v6]:port}, or
 * {@code :port} for every interface.
 */
final class ListenAddress {
  private ListenAddress() {}

  /**
   * @throws IllegalArgumentException naming the address and what is wrong with it
   */
  static InetSocketAddress parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw invalid(text, "expected host:port, e.g. 127.0.0.1:8080");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw invalid(text, "put an IPv6 address in brackets, e.g. [::1]:8080");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw invalid(text, "the port must be a number");
    }
    if (port < 0 || port > 65_535) {
      throw invalid(text, "the port must be from 0 to 65535");
    }
    if (host.isEmpty()) {
      // Go listens on every interface for ":8080"; InetAddress would read "" as loopback.
      return new InetSocketAddress(port);
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw invalid(text, "unknown host " + host);
    }
  }

  private static IllegalArgumentException invalid(String text, String problem) {
    return new IllegalArgumentException("listen address \"" + text + "\": " + problem);
  }
}
