package dev.melange.pool.buildkit.server;

import dev.melange.pool.internal.IpLiterals;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses the requests a web page could make the browser of someone on the server's machine send,
 * before they reach the routes. A server on loopback without a token trusts whoever can connect; a
 * page the operator opens can connect too, through the browser.
 *
 * <ul>
 *   <li><b>DNS rebinding</b>: when the server listens on a loopback address, a request whose {@code
 *       Host} (or absolute request target) names anything but a loopback host ({@code localhost}, a
 *       {@code 127.x.y.z} address, {@code [::1]}; any port) is answered 421. A page of {@code
 *       attacker.example} whose name was made to resolve to 127.0.0.1 sends its own name there, and
 *       could otherwise read and change the pool as a page of the same origin.
 *   <li><b>Cross-site requests</b> (CSRF), whatever the address: a request other than {@code GET},
 *       {@code HEAD} and {@code OPTIONS} is answered 403 when its {@code Sec-Fetch-Site} is there
 *       and is not {@code same-origin} or {@code none}, or, without {@code Sec-Fetch-Site}, when
 *       its {@code Origin} is there and is not this server's ({@code Origin}'s host and port
 *       against {@code Host}). Browsers send both; clients that are not browsers (melange, curl,
 *       scripts, the {@code backends} commands) send neither, and pass. This is the check of Go's
 *       {@code net/http.CrossOriginProtection}.
 * </ul>
 *
 * <p>A request without {@code Host} (HTTP/1.0) passes the first check: no browser sends one. Behind
 * a reverse proxy on the same machine, the proxy must send a loopback {@code Host} (nginx's default
 * sends the address it proxies to).
 */
final class CrossOriginRequests extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(CrossOriginRequests.class);

  /** The methods that change nothing: a page may send them, and cannot read the answer. */
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

  private static final String LOOPBACK_NAMES = "localhost, 127.0.0.1 and [::1]";

  private final boolean onLoopback;

  /**
   * @param onLoopback whether the server listens on a loopback address, where {@code Host} must
   *     name a loopback host
   */
  CrossOriginRequests(Handler next, boolean onLoopback) {
    super(next);
    this.onLoopback = onLoopback;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String host = request.getHeaders().get(HttpHeader.HOST);
    if (onLoopback) {
      String target = request.getHttpURI().getAuthority();
      for (String authority : new String[] {host, target}) {
        if (authority != null && !authority.isEmpty() && !isLoopbackAuthority(authority)) {
          log.warn(
              "refused {} {} for Host {}: not a loopback name (a web page's DNS rebinding?)",
              request.getMethod(),
              UntrustedText.escape(request.getHttpURI().getPath()),
              UntrustedText.escape(authority));
          return refuse(
              request,
              response,
              callback,
              421,
              "misdirected request: Host \""
                  + UntrustedText.escape(authority, 60)
                  + "\" is not a loopback name; a server on loopback answers to "
                  + LOOPBACK_NAMES
                  + " only");
        }
      }
    }
    if (!SAFE_METHODS.contains(request.getMethod())) {
      String site = request.getHeaders().get("Sec-Fetch-Site");
      String origin = request.getHeaders().get(HttpHeader.ORIGIN);
      String from = null;
      if (site != null) {
        if (!site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
          from = "Sec-Fetch-Site: " + UntrustedText.escape(site, 40);
        }
      } else if (origin != null && (host == null || !host.equalsIgnoreCase(authorityOf(origin)))) {
        from = "Origin \"" + UntrustedText.escape(origin, 60) + "\" is not this server";
      }
      if (from != null) {
        log.warn(
            "refused {} {} from a web page ({})",
            request.getMethod(),
            UntrustedText.escape(request.getHttpURI().getPath()),
            from);
        return refuse(
            request,
            response,
            callback,
            403,
            "cross-origin request refused (" + from + "): a web page may not change the pool");
      }
    }
    return super.handle(request, response, callback);
  }

  private static boolean refuse(
      Request request, Response response, Callback callback, int status, String message) {
    ApiExchange.sendError(response, status, message, callback, request.getMethod().equals("HEAD"));
    return true;
  }

  /** The host and port of an {@code Origin} ({@code http://example.com:8080}); "" when none. */
  private static String authorityOf(String origin) {
    try {
      String authority = new URI(origin).getRawAuthority();
      return authority == null ? "" : authority;
    } catch (URISyntaxException e) {
      return ""; // "null" (a sandboxed page, a file) or garbage: no server's origin
    }
  }

  /**
   * Whether a {@code Host} value ({@code host}, {@code host:port}, {@code [v6]:port}) names a
   * loopback host, read without any name lookup: a name is loopback only if it is {@code
   * localhost}, an address only if it is written as one.
   */
  static boolean isLoopbackAuthority(String authority) {
    String host;
    if (authority.startsWith("[")) {
      int end = authority.indexOf(']');
      if (end < 0) {
        return false;
      }
      host = authority.substring(0, end + 1);
    } else {
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
    }
    if (host.toLowerCase(Locale.ROOT).equals("localhost")) {
      return true;
    }
    if (host.startsWith("[")) {
      try {
        // Brackets make the JDK parse an IPv6 literal or fail, never look the name up.
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return isLoopbackIpv4(host);
  }

  /** {@code 127.x.y.z} in dotted decimal, each part 0 to 255: the loopback network. */
  private static boolean isLoopbackIpv4(String host) {
    return IpLiterals.isIpv4(host) && host.startsWith("127.");
  }
}
