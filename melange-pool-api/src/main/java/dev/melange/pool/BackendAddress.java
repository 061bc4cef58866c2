package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import dev.melange.pool.internal.IpLiterals;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * Checks a backend's address and puts it in canonical form ({@link Backend#canonicalAddr} says
 * which): one spelling per daemon, so that {@code tcp://x1:1234}, {@code TCP://X1:1234} and {@code
 * x1:1234} cannot all be in one pool.
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
      return "tcp://" + hostAndPort(addr, true); // what it means: one backend, however written
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
          case "http", "https", "ssh" -> withoutDefaultPort(url(rest, scheme), scheme);
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

  /**
   * {@code unix:///path}: an absolute path to a socket, canonical: {@code //}, {@code /./} and
   * {@code dir/..} taken out as the kernel reads them (links are not followed: the file need not
   * exist yet).
   */
  private String unixPath(String path) {
    if (!path.startsWith("/") || path.length() < 2) {
      throw bad("a unix socket needs an absolute path (unix:///path)");
    }
    Deque<String> names = new ArrayDeque<>();
    for (String name : path.split("/", -1)) {
      if (name.equals("..")) {
        names.pollLast();
      } else if (!name.isEmpty() && !name.equals(".")) {
        names.addLast(name);
      }
    }
    if (names.isEmpty()) {
      throw bad("a unix socket needs a path to a file, not /");
    }
    return "/" + String.join("/", names);
  }

  /**
   * An http(s) or ssh address without the scheme's default port: {@code http://h:80} is {@code
   * http://h}.
   */
  private static String withoutDefaultPort(String canonicalRest, String scheme) {
    String port =
        switch (scheme) {
          case "http" -> ":80";
          case "https" -> ":443";
          default -> ":22";
        };
    int end = indexOfAny(canonicalRest, "/?#");
    String authority = end < 0 ? canonicalRest : canonicalRest.substring(0, end);
    if (authority.endsWith(port)) {
      return authority.substring(0, authority.length() - port.length())
          + canonicalRest.substring(authority.length());
    }
    return canonicalRest;
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
      host = canonicalIpv6(host);
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
      if (!isHostName(host) && !IpLiterals.isIpv4(host)) {
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

  /**
   * An IPv6 address as RFC 5952 writes it ({@code [::1]} for {@code [0:0:0:0:0:0:0:1]} or {@code
   * [::0001]}), or, for an IPv4-mapped one ({@code [::ffff:127.0.0.1]}), its IPv4 address without
   * brackets: one spelling per address. A zone ({@code %eth0}) is kept as written.
   *
   * @param text an address {@link #isIpv6} accepts, without brackets
   */
  private static String canonicalIpv6(String text) {
    int percent = text.indexOf('%');
    String zone = percent < 0 ? "" : text.substring(percent);
    InetAddress parsed;
    try {
      // A literal: parsed, never looked up.
      parsed = InetAddress.getByName(percent < 0 ? text : text.substring(0, percent));
    } catch (UnknownHostException cannotHappen) {
      throw new IllegalStateException("an IPv6 literal that the JDK does not parse: " + text);
    }
    if (parsed instanceof Inet4Address && zone.isEmpty()) {
      return parsed.getHostAddress();
    }
    if (parsed instanceof Inet4Address) {
      return "[::ffff:" + parsed.getHostAddress() + zone + "]";
    }
    byte[] bytes = parsed.getAddress();
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = (bytes[2 * i] & 0xff) << 8 | (bytes[2 * i + 1] & 0xff);
    }
    // The longest run of two or more zero groups (the first of equals) becomes "::".
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 1 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.append(zone).append(']').toString();
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
        if (!IpLiterals.isIpv4(piece)) {
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
