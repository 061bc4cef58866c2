package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.util.List;
import java.util.Locale;

/**
 * Checks a backend's address and puts it in canonical form: the scheme, and the host of the schemes
 * that name a network host, in lower case; everything else as written. Two addresses name the same
 * backend exactly when their canonical forms are equal, so {@code tcp://x1:1234} and {@code
 * TCP://X1:1234} cannot both be in one pool.
 *
 * <p>The forms, those of melange-server and BuildKit ({@code buildctl --addr}) and of the {@code
 * tcp} and {@code http} health checks:
 *
 * <ul>
 *   <li>{@code host:port}, without a scheme, as melange-server takes it (read as tcp);
 *   <li>{@code tcp://host[:port]}; without a port, one must come from elsewhere (a health check's
 *       {@code port});
 *   <li>{@code unix:///absolute/path};
 *   <li>{@code http://} and {@code https://[user@]host[:port][/path]};
 *   <li>BuildKit's connection helpers: {@code docker-container://name}, {@code
 *       podman-container://name}, {@code nerdctl-container://name}, {@code kube-pod://name}, each
 *       with an optional {@code ?key=value&...}, and {@code ssh://[user@]host[:port][/socket]}.
 * </ul>
 *
 * A host is a DNS name (labels of letters, digits, {@code -} and {@code _}, as Docker's service
 * names may have), an IPv4 address, or an IPv6 address in brackets; a port is 1 to 65535 without
 * leading zeros.
 */
final class BackendAddress {

  private static final List<String> SCHEMES =
      List.of(
          "tcp",
          "unix",
          "http",
          "https",
          "ssh",
          "docker-container",
          "kube-pod",
          "podman-container",
          "nerdctl-container");

  private static final String EXPECTED =
      "expected host:port, tcp://, unix://, http://, https://, ssh://, docker-container://,"
          + " kube-pod://, podman-container:// or nerdctl-container://";

  private final String addr;

  private BackendAddress(String addr) {
    this.addr = addr;
  }

  /**
   * The canonical form of {@code addr}.
   *
   * @throws IllegalArgumentException {@code addr "<addr>": <problem>}, the address shown escaped
   */
  static String canonical(String addr) {
    if (addr.length() > Backend.MAX_ADDR_LENGTH) {
      throw new IllegalArgumentException(
          "addr must be at most "
              + Backend.MAX_ADDR_LENGTH
              + " characters, was "
              + addr.length()
              + ": "
              + DisplayText.quoted(addr));
    }
    if (DisplayText.firstControl(addr) >= 0) {
      throw new IllegalArgumentException(
          "addr must not contain control characters, was " + DisplayText.quoted(addr));
    }
    if (DisplayText.hasSurroundingSpace(addr)) {
      throw new IllegalArgumentException(
          "addr must not start or end with white space, was " + DisplayText.quoted(addr));
    }
    return new BackendAddress(addr).read();
  }

  private String read() {
    int separator = addr.indexOf("://");
    if (separator < 0) {
      if (addr.indexOf('/') >= 0) {
        throw bad("no scheme (" + EXPECTED + ")");
      }
      return hostAndPort(addr, true);
    }
    String scheme = addr.substring(0, separator).toLowerCase(Locale.ROOT);
    String rest = addr.substring(separator + 3);
    if (!SCHEMES.contains(scheme)) {
      String shown = scheme.isEmpty() ? "no scheme before ://" : "unknown scheme " + scheme + "://";
      throw bad(shown + " (" + EXPECTED + ")");
    }
    return scheme
        + "://"
        + switch (scheme) {
          case "tcp" -> hostAndPort(rest, false);
          case "unix" -> unixPath(rest);
          case "http", "https", "ssh" -> url(rest, scheme);
          default -> helperTarget(rest, scheme);
        };
  }

  /** {@code host[:port]} and nothing after; the port required when {@code portRequired}. */
  private String hostAndPort(String authority, boolean portRequired) {
    int slash = authority.indexOf('/');
    if (slash >= 0) {
      throw bad("nothing may follow the port, found \"" + authority.substring(slash) + "\"");
    }
    String canonical = authority(authority);
    if (portRequired && !hasPort(authority)) {
      throw bad("no port (" + EXPECTED + ")");
    }
    return canonical;
  }

  /** {@code unix:///path}: an absolute path to a socket. */
  private String unixPath(String path) {
    if (!path.startsWith("/") || path.length() < 2) {
      throw bad("a unix socket needs an absolute path (unix:///path)");
    }
    return path;
  }

  /** {@code [user@]host[:port][/path or ?query]} of http, https and ssh. */
  private String url(String rest, String scheme) {
    int end = indexOfAny(rest, "/?#");
    String authority = end < 0 ? rest : rest.substring(0, end);
    String tail = end < 0 ? "" : rest.substring(end);
    if (tail.startsWith("#")) {
      throw bad("a fragment (#) has no meaning here");
    }
    if (scheme.equals("ssh") && !tail.isEmpty() && !tail.startsWith("/")) {
      throw bad("ssh:// takes [user@]host[:port][/socket path]");
    }
    requireUrlText(tail, "the path");
    int at = authority.lastIndexOf('@');
    String user = at < 0 ? "" : authority.substring(0, at + 1);
    if (at == 0) {
      throw bad("an empty user before @");
    }
    requireUrlText(user.isEmpty() ? "" : user.substring(0, user.length() - 1), "the user");
    return user + authority(authority.substring(at + 1)) + tail;
  }

  /** A helper's target, {@code name[?key=value&...]}: a container or pod name, kept as written. */
  private String helperTarget(String rest, String scheme) {
    int question = rest.indexOf('?');
    String name = question < 0 ? rest : rest.substring(0, question);
    String query = question < 0 ? "" : rest.substring(question + 1);
    if (name.isEmpty()) {
      throw bad(
          scheme + ":// needs a " + (scheme.equals("kube-pod") ? "pod" : "container") + " name");
    }
    if (!isName(name)) {
      throw bad(
          "\""
              + DisplayText.shown(name)
              + "\" is not a "
              + (scheme.equals("kube-pod") ? "pod" : "container")
              + " name (letters, digits, '_', '.' and '-', starting with a letter or digit)");
    }
    if (question >= 0) {
      for (String pair : query.split("&", -1)) {
        int equals = pair.indexOf('=');
        if (equals <= 0 || pair.indexOf('#') >= 0 || hasSpace(pair)) {
          throw bad(
              "expected ?key=value&... after the name, found \"?"
                  + DisplayText.shown(query)
                  + "\"");
        }
      }
    }
    return rest;
  }

  /** {@code host[:port]}, canonical: the host in lower case. */
  private String authority(String authority) {
    String host;
    String port = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw bad("an unclosed [ in the host");
      }
      host = authority.substring(1, close);
      String after = authority.substring(close + 1);
      if (after.startsWith(":")) {
        port = after.substring(1);
      } else if (!after.isEmpty()) {
        throw bad("\"" + DisplayText.shown(after) + "\" after the host");
      }
      if (!isIpv6(host)) {
        throw bad("[" + DisplayText.shown(host) + "] is not an IPv6 address");
      }
      int percent = host.indexOf('%');
      host =
          percent < 0
              ? "[" + host.toLowerCase(Locale.ROOT) + "]"
              // An interface's name, after %, is case-sensitive.
              : "["
                  + host.substring(0, percent).toLowerCase(Locale.ROOT)
                  + host.substring(percent)
                  + "]";
    } else {
      int colon = authority.lastIndexOf(':');
      if (colon >= 0 && authority.indexOf(':') != colon) {
        throw bad("an IPv6 address needs brackets, as in [::1]:1234");
      }
      host = colon < 0 ? authority : authority.substring(0, colon);
      port = colon < 0 ? null : authority.substring(colon + 1);
      if (host.isEmpty()) {
        throw bad("no host");
      }
      if (!isHostName(host) && !isIpv4(host)) {
        throw bad(
            "host \""
                + DisplayText.shown(host)
                + "\" is not a DNS name (labels of letters, digits, '-' and '_'), an IPv4 address"
                + " or an IPv6 address in brackets");
      }
      host = host.toLowerCase(Locale.ROOT);
    }
    if (port == null) {
      return host;
    }
    if (!isPort(port)) {
      throw bad("port must be from 1 to 65535, was \"" + DisplayText.shown(port) + "\"");
    }
    return host + ":" + port;
  }

  private static boolean hasPort(String authority) {
    int close = authority.lastIndexOf(']');
    return authority.indexOf(':', close + 1) >= 0;
  }

  private static boolean isPort(String text) {
    if (text.isEmpty() || text.length() > 5 || text.charAt(0) == '0') {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return Integer.parseInt(text) <= 65_535;
  }

  /**
   * A DNS name: dot-separated labels of 1 to 63 letters, digits, {@code -} and {@code _}, neither
   * starting nor ending with {@code -}, 253 characters at most; its last label not all digits (that
   * would be a malformed IPv4 address).
   */
  static boolean isHostName(String host) {
    if (host.length() > 253) {
      return false;
    }
    int start = 0;
    boolean lastAllDigits = false;
    while (true) {
      int dot = host.indexOf('.', start);
      int end = dot < 0 ? host.length() : dot;
      int length = end - start;
      if (length < 1 || length > 63 || host.charAt(start) == '-' || host.charAt(end - 1) == '-') {
        return false;
      }
      lastAllDigits = true;
      for (int i = start; i < end; i++) {
        char c = host.charAt(i);
        boolean digit = c >= '0' && c <= '9';
        lastAllDigits &= digit;
        if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-' && c != '_') {
          return false;
        }
      }
      if (dot < 0) {
        return !lastAllDigits;
      }
      start = dot + 1;
    }
  }

  /** Four decimal numbers from 0 to 255, without leading zeros, joined by dots. */
  static boolean isIpv4(String host) {
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

  /**
   * An IPv6 address as RFC 4291 writes it: eight groups of one to four hex digits, a {@code ::}
   * standing for one or more groups of zeros at most once, the last two groups possibly an IPv4
   * address; and a zone ({@code %eth0}) after it.
   */
  static boolean isIpv6(String text) {
    int percent = text.indexOf('%');
    String address = text;
    if (percent >= 0) {
      String zone = text.substring(percent + 1);
      if (zone.isEmpty() || !zone.chars().allMatch(BackendAddress::isNameChar)) {
        return false;
      }
      address = text.substring(0, percent);
    }
    int doubleColon = address.indexOf("::");
    if (doubleColon < 0) {
      return groups(address, true) == 8;
    }
    if (address.indexOf("::", doubleColon + 1) >= 0) {
      return false; // a second "::", or ":::"
    }
    int head = groups(address.substring(0, doubleColon), false);
    int tail = groups(address.substring(doubleColon + 2), true);
    return head >= 0 && tail >= 0 && head + tail <= 7;
  }

  /**
   * How many 16-bit groups colon-separated {@code part} writes (an IPv4 address at its end, when
   * {@code ipv4Last}, counting two); 0 for an empty part, -1 when it is not groups.
   */
  private static int groups(String part, boolean ipv4Last) {
    if (part.isEmpty()) {
      return 0;
    }
    String[] pieces = part.split(":", -1);
    int count = 0;
    for (int i = 0; i < pieces.length; i++) {
      String piece = pieces[i];
      if (ipv4Last && i == pieces.length - 1 && piece.indexOf('.') >= 0) {
        if (!isIpv4(piece)) {
          return -1;
        }
        count += 2;
      } else if (piece.isEmpty()
          || piece.length() > 4
          || !piece.chars().allMatch(BackendAddress::isHexDigit)) {
        return -1;
      } else {
        count++;
      }
    }
    return count;
  }

  private static boolean isHexDigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static boolean isNameChar(int c) {
    return (c >= '0' && c <= '9')
        || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '_'
        || c == '.'
        || c == '-';
  }

  /** A container or pod name: letters, digits, {@code _ . -}, starting with a letter or digit. */
  private static boolean isName(String name) {
    return name.chars().allMatch(BackendAddress::isNameChar)
        && Character.isLetterOrDigit(name.charAt(0));
  }

  /**
   * Refuses white space, and any character a URL may not hold as it is (RFC 3986's unreserved and
   * reserved characters, and {@code %} for escapes): the probes and BuildKit build URLs of these.
   */
  private void requireUrlText(String part, String what) {
    if (hasSpace(part)) {
      throw bad(what + " must not contain white space");
    }
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (!isNameChar(c) && "~!$&'()*+,;=:@/?%".indexOf(c) < 0) {
        throw bad(
            what
                + " may hold only URL characters, found '"
                + DisplayText.shown(String.valueOf(c))
                + "'");
      }
    }
  }

  private static boolean hasSpace(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return true;
      }
    }
    return false;
  }

  private static int indexOfAny(String text, String chars) {
    for (int i = 0; i < text.length(); i++) {
      if (chars.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  private IllegalArgumentException bad(String problem) {
    return new IllegalArgumentException("addr " + DisplayText.quoted(addr) + ": " + problem);
  }
}
