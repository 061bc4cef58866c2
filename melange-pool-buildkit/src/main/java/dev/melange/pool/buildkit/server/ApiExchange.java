package dev.melange.pool.buildkit.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP side of one request: its method, path and query, its JSON body (typed, bounded, checked)
 * and the answer, JSON or plain text.
 */
final class ApiExchange {
  /** The largest request body read: far beyond any real one (a backend is a few hundred bytes). */
  static final int MAX_BODY = 64 * 1024;

  /**
   * How much of a body over the limit is read and thrown away after the 413 is sent, so that the
   * client, still sending, reads the 413 rather than a reset connection. Beyond this, the
   * connection is dropped.
   */
  private static final int MAX_DISCARD = 1024 * 1024;

  private static final String JSON = "application/json";
  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpExchange exchange;

  ApiExchange(HttpExchange exchange) {
    this.exchange = exchange;
  }

  String method() {
    return exchange.getRequestMethod();
  }

  String path() {
    return exchange.getRequestURI().getRawPath();
  }

  /** The first value of a query parameter, decoded; null when absent. */
  @Nullable String query(String name) {
    String query = exchange.getRequestURI().getRawQuery();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (decode(key).equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  @Nullable String header(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  /** Throws 405 {@code method not allowed} unless the request's method is {@code allowed}. */
  void requireMethod(String allowed) {
    if (!method().equals(allowed)) {
      throw methodNotAllowed(allowed);
    }
  }

  ApiException methodNotAllowed(String allowed) {
    exchange.getResponseHeaders().set("Allow", allowed);
    return new ApiException(405, "method not allowed");
  }

  /**
   * The body as a JSON object of {@code type}.
   *
   * @throws ApiException 400 for another content type than JSON or a body {@link ApiJson#read}
   *     refuses, 413 for a body over {@link #MAX_BODY} bytes
   */
  <T> T readJson(Class<T> type) throws IOException {
    checkContentType();
    return ApiJson.read(readBody(), type);
  }

  private void checkContentType() {
    // Missing is accepted: the body is JSON or refused as such. melange's own client sends it.
    String contentType = header("Content-Type");
    if (contentType == null) {
      return;
    }
    String[] parts = contentType.split(";", -1);
    if (!parts[0].trim().toLowerCase(Locale.ROOT).equals(JSON)) {
      throw ApiException.badRequest(
          "Content-Type must be application/json, was \"" + contentType + "\"");
    }
    for (int i = 1; i < parts.length; i++) {
      String[] parameter = parts[i].split("=", 2);
      if (parameter.length == 2 && parameter[0].trim().equalsIgnoreCase("charset")) {
        String charset = parameter[1].trim().replace("\"", "");
        if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
          throw ApiException.badRequest("charset must be utf-8, was \"" + charset + "\"");
        }
      }
    }
  }

  private byte[] readBody() throws IOException {
    String length = header("Content-Length");
    if (length != null && declaredLength(length) > MAX_BODY) {
      throw tooLarge(); // answered before reading any of it
    }
    // Chunked bodies have no length up front: read one byte past the limit to know.
    byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      throw tooLarge();
    }
    return body;
  }

  private static long declaredLength(String length) {
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("invalid Content-Length \"" + length + "\"");
    }
  }

  private static ApiException tooLarge() {
    return new ApiException(413, "request body too large: the limit is " + MAX_BODY + " bytes");
  }

  void sendJson(int status, Object body) throws IOException {
    byte[] json = ApiJson.write(body);
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    send(status, JSON, line);
  }

  void sendNoContent() throws IOException {
    exchange.sendResponseHeaders(204, -1);
  }

  /** Answers with a plain-text message and a newline, as Go's {@code http.Error} does. */
  void sendError(int status, String message) throws IOException {
    if (status == 401) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"melange-server\"");
    }
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    send(status, TEXT, (message + "\n").getBytes(StandardCharsets.UTF_8));
    if (status == 413) {
      discardBody();
    }
  }

  /** Whether an answer has been started, after which no other can be sent. */
  boolean answered() {
    return exchange.getResponseCode() != -1;
  }

  private void send(int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (method().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length);
    OutputStream out = exchange.getResponseBody();
    out.write(body);
    out.flush(); // on the wire now, before a 413 reads what the client still sends
  }

  private void discardBody() throws IOException {
    InputStream in = exchange.getRequestBody();
    byte[] buffer = new byte[8192];
    int discarded = 0;
    int n;
    while (discarded < MAX_DISCARD && (n = in.read(buffer)) >= 0) {
      discarded += n;
    }
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid query: " + e.getMessage());
    }
  }
}
