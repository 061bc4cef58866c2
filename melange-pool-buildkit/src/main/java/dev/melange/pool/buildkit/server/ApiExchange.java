package dev.melange.pool.buildkit.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP side of one request: its method, path and query, its JSON body (read beforehand by
 * {@link RequestBodies}, typed and checked here) and the answer, JSON or one line of plain text.
 * Each answer completes the request; an exchange answers once.
 */
final class ApiExchange {
  /** The longest error line sent, in characters: values quoted in it are cut to fit. */
  static final int MAX_ERROR_LENGTH = 200;

  static final String JSON = "application/json";
  static final String TEXT = "text/plain; charset=utf-8";

  private final Request request;
  private final Response response;
  private final Callback callback;
  private final AnswerDeadlines answerDeadlines;
  private boolean completed;

  ApiExchange(
      Request request, Response response, Callback callback, AnswerDeadlines answerDeadlines) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.answerDeadlines = answerDeadlines;
  }

  String method() {
    return request.getMethod();
  }

  /** The path as sent (still percent-encoded). */
  String path() {
    String path = request.getHttpURI().getPath();
    return path == null ? "" : path;
  }

  /** The first value of a query parameter, decoded; null when absent. */
  @Nullable String query(String name) {
    String query = request.getHttpURI().getQuery();
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
    return request.getHeaders().get(name);
  }

  /** Throws 405 {@code method not allowed} unless the request's method is {@code allowed}. */
  void requireMethod(String allowed) {
    if (!method().equals(allowed)) {
      throw methodNotAllowed(allowed);
    }
  }

  ApiException methodNotAllowed(String allowed) {
    response.getHeaders().put(HttpHeader.ALLOW, allowed);
    return new ApiException(405, "method not allowed");
  }

  /**
   * The body as a JSON object of {@code type}.
   *
   * @throws ApiException 400 for another content type than JSON or a body {@link ApiJson#read}
   *     refuses
   */
  <T> T readJson(Class<T> type) {
    checkContentType();
    return ApiJson.read(RequestBodies.body(request), type);
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
          "Content-Type must be application/json, was \""
              + UntrustedText.escape(contentType)
              + "\"");
    }
    for (int i = 1; i < parts.length; i++) {
      String[] parameter = parts[i].split("=", 2);
      if (parameter.length == 2 && parameter[0].trim().equalsIgnoreCase("charset")) {
        String charset = parameter[1].trim().replace("\"", "");
        if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
          throw ApiException.badRequest(
              "charset must be utf-8, was \"" + UntrustedText.escape(charset) + "\"");
        }
      }
    }
  }

  /**
   * Answers with {@code body} as JSON and a newline, written as it is made (a large status is never
   * held whole in memory), within the write timeout.
   *
   * @throws IOException when the client goes away meanwhile, or does not take the answer within the
   *     write timeout (its connection is closed)
   */
  void sendJson(int status, Object body) throws IOException {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
    if (!method().equals("HEAD")) {
      Scheduler.Task deadline = answerDeadlines.start(request);
      try (OutputStream out = Content.Sink.asOutputStream(response)) {
        ApiJson.write(body, out);
      } finally {
        deadline.cancel();
      }
    }
    succeed();
  }

  void sendNoContent() {
    response.setStatus(204);
    succeed();
  }

  /**
   * Answers with one line of plain text, as Go's {@code http.Error} does: control characters
   * escaped, cut to {@value #MAX_ERROR_LENGTH} characters.
   */
  void sendError(int status, String message) {
    if (completed) {
      return;
    }
    completed = true;
    sendError(response, status, message, callback, method().equals("HEAD"));
  }

  /** Writes an error line and completes {@code callback}: for answers before an exchange. */
  static void sendError(
      Response response, int status, String message, Callback callback, boolean head) {
    response.setStatus(status);
    if (status == 401) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"melange-server\"");
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, TEXT);
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    if (head) {
      callback.succeeded();
      return;
    }
    String line = UntrustedText.escape(message, MAX_ERROR_LENGTH) + "\n";
    response.write(true, ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)), callback);
  }

  /** Whether an answer has been started, after which no other can be sent. */
  boolean answered() {
    return completed || response.isCommitted();
  }

  /** Ends the exchange without an answer, or cuts the one under way: the client went away. */
  void fail(Throwable failure) {
    if (!completed) {
      completed = true;
      callback.failed(failure);
    }
  }

  private void succeed() {
    if (!completed) {
      completed = true;
      callback.succeeded();
    }
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      // The decoder's own message names itself and the index; the client needs the part.
      throw ApiException.badRequest(
          "invalid query: \""
              + UntrustedText.escape(text, 60)
              + "\" holds a % that is not followed by two hex digits");
    }
  }
}
