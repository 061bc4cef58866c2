package dev.melange.pool.buildkit;

import dev.melange.pool.internal.IpLiterals;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Where a buildkitd listens: {@code tcp://host:port} (a bare {@code host:port} is read as tcp) or
 * {@code unix:///path}. BuildKit's client-helper schemes ({@code docker-container://} and the like)
 * run a local program rather than connect, so they are refused with a message that says so.
 *
 * @param host the host, for tcp (an IPv6 literal without brackets); null for unix
 * @param port the port, for tcp; 0 for unix
 * @param path the socket's path, for unix; null for tcp
 */
record BuildKitAddress(@Nullable String host, int port, @Nullable String path) {

  private static final List<String> HELPERS =
      List.of(
          "docker-container://",
          "kube-pod://",
          "podman-container://",
          "nerdctl-container://",
          "ssh://");

  boolean isUnix() {
    return path != null;
  }

  /**
   * Whether the host is an IP address written out ({@code 10.0.0.7}, {@code ::1}), which needs no
   * lookup; false for a host name and for unix.
   */
  boolean isIpLiteral() {
    if (host == null) {
      return false;
    }
    if (host.indexOf(':') >= 0) {
      return true; // only an IPv6 literal has colons here: the port was split off, brackets too
    }
    return IpLiterals.isIpv4(host);
  }

  /**
   * The tcp address's {@code host:port} ({@code [::1]:1234} for IPv6), as a gRPC authority: the
   * name TLS checks in the daemon's certificate and sends as SNI.
   *
   * @throws IllegalStateException for a unix address
   */
  String authority() {
    if (host == null) {
      throw new IllegalStateException("a unix address has no authority: " + this);
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Reads an address.
   *
   * @throws IllegalArgumentException naming the address and what is wrong with it
   */
  static BuildKitAddress parse(String addr) {
    String lower = addr.toLowerCase(Locale.ROOT);
    for (String helper : HELPERS) {
      if (lower.startsWith(helper)) {
        throw new IllegalArgumentException(
            "buildkit address \""
                + addr
                + "\": "
                + helper
                + " runs a local helper program rather than a network connection; expose"
                + " buildkitd on tcp:// or unix:// and use that address");
      }
    }
    if (lower.startsWith("unix://")) {
      String path = addr.substring("unix://".length());
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException(
            "buildkit address \""
                + addr
                + "\": a unix socket needs an absolute path (unix:///path)");
      }
      return new BuildKitAddress(null, 0, path);
    }
    String hostPort = addr;
    if (lower.startsWith("tcp://")) {
      hostPort = addr.substring("tcp://".length());
    } else if (lower.contains("://")) {
      throw new IllegalArgumentException(
          "buildkit address \"" + addr + "\": unknown scheme, expected tcp:// or unix://");
    }
    return tcp(addr, hostPort);
  }

  private static BuildKitAddress tcp(String addr, String hostPort) {
    String host;
    String port;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
        throw needsPort(addr);
      }
      host = hostPort.substring(1, close);
      port = hostPort.substring(close + 2);
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon < 0 || hostPort.indexOf(':') != colon) {
        throw needsPort(addr);
      }
      host = hostPort.substring(0, colon);
      port = hostPort.substring(colon + 1);
    }
    if (host.isEmpty() || port.endsWith("/") || host.contains("/")) {
      throw new IllegalArgumentException(
          "buildkit address \"" + addr + "\": expected tcp://host:port");
    }
    int number;
    try {
      number = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw needsPort(addr);
    }
    if (number < 1 || number > 65_535) {
      throw new IllegalArgumentException(
          "buildkit address \"" + addr + "\": port must be from 1 to 65535, was " + port);
    }
    return new BuildKitAddress(host, number, null);
  }

  private static IllegalArgumentException needsPort(String addr) {
    return new IllegalArgumentException(
        "buildkit address \""
            + addr
            + "\": expected tcp://host:port (buildkitd's port is 1234 by"
            + " convention) or unix:///path");
  }

  @Override
  public String toString() {
    return isUnix()
        ? "unix://" + path
        : "tcp://" + (host != null && host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
