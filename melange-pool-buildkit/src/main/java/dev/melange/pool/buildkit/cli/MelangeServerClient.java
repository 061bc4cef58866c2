package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.melange.pool.buildkit.server.JsonProblems;
import dev.melange.pool.buildkit.server.TokenFile;
import dev.melange.pool.buildkit.server.UntrustedText;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.jspecify.annotations.Nullable;

/**
 * A client of melange-server's backend API, as melange's own: JSON requests, the server's
 * plain-text message in the error ({@code unexpected status 409: backend already exists: <addr>}).
 *
 * <p>It trusts the server with nothing: each exchange, the answer's last byte included, has one
 * deadline (30 seconds), an answer has a size limit (64 KiB of headers, 16 MiB of body), an answer
 * of the wrong shape is an error naming what is wrong, and the server's text in an error is escaped
 * and cut short. The token file is read only for the calls that change the pool, so listing needs
 * none.
 *
 * <p>The token goes on the wire as the bytes the server compares: the UTF-8 bytes of the file's
 * token, whatever they are. Jetty's client writes each char of a header value as one byte, so the
 * header carries the token's bytes as ISO-8859-1 chars (the JDK's client writes headers as US-ASCII
 * and would send a {@code ?} for each byte beyond it).
 */
final class MelangeServerClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The deadline of one exchange, from sending the request to the last byte of the answer. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The largest answer read: a status of hundreds of backends with many labels fits. */
  static final int MAX_ANSWER = 16 * 1024 * 1024;

  /** The most bytes of an answer's status line and headers. */
  static final int MAX_HEADERS = 64 * 1024;

  /** How long connecting may take, within the exchange's deadline. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** How much of an error answer is shown. */
  private static final int MAX_ERROR_SHOWN = 300;

  private final URI server;
  private final @Nullable Path tokenFile;
  private final Duration timeout;
  private final int maxAnswer;

  /**
   * @param server the server's base URL, e.g. {@code http://localhost:8080}
   * @param tokenFile a file holding the bearer token the mutating routes need, or null; read only
   *     by those calls
   * @throws CliException when the URL is not http(s) or its port is out of range
   */
  MelangeServerClient(String server, @Nullable Path tokenFile) throws CliException {
    this(server, tokenFile, TIMEOUT, MAX_ANSWER);
  }

  MelangeServerClient(String server, @Nullable Path tokenFile, Duration timeout, int maxAnswer)
      throws CliException {
    this.server = baseUri(server);
    this.tokenFile = tokenFile;
    this.timeout = timeout;
    this.maxAnswer = maxAnswer;
  }

  private static URI baseUri(String server) throws CliException {
    URI uri;
    try {
      uri = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
    } catch (IllegalArgumentException e) {
      throw new CliException("--server " + UntrustedText.escape(server) + ": not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
      throw new CliException(
          "--server "
              + UntrustedText.escape(server)
              + ": expected an http:// or https:// URL, e.g. http://localhost:8080");
    }
    if (uri.getPort() == 0 || uri.getPort() > 65_535) {
      throw new CliException(
          "--server "
              + UntrustedText.escape(server)
              + ": the port must be from 1 to 65535, was "
              + uri.getPort());
    }
    return uri;
  }

  /** {@code GET /api/v1/backends[?arch=X]}: the backends and architectures, their shape checked. */
  JsonNode listBackends(@Nullable String arch) throws CliException, InterruptedException {
    String query =
        arch == null || arch.isEmpty()
            ? ""
            : "?arch=" + URLEncoder.encode(arch, StandardCharsets.UTF_8);
    String doing = "listing backends";
    JsonNode list = json(send("GET", "/api/v1/backends" + query, null, 200, doing), doing);
    ServerAnswers.requireBackendList(list, doing, server);
    return list;
  }

  /** {@code POST /api/v1/backends}: the backend as the server added it. */
  JsonNode addBackend(ObjectNode backend) throws CliException, InterruptedException {
    String doing = "adding backend";
    JsonNode added = json(send("POST", "/api/v1/backends", backend, 201, doing), doing);
    ServerAnswers.requireBackend(added, doing, server);
    return added;
  }

  /** {@code DELETE /api/v1/backends}. */
  void removeBackend(String addr) throws CliException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("addr", addr);
    send("DELETE", "/api/v1/backends", body, 204, "removing backend");
  }

  /** {@code GET /api/v1/backends/status}: one status per backend, their shape checked. */
  JsonNode status() throws CliException, InterruptedException {
    String doing = "getting backend status";
    JsonNode status = json(send("GET", "/api/v1/backends/status", null, 200, doing), doing);
    ServerAnswers.requireStatus(status, doing, server);
    return status;
  }

  /** An answer: its status and its body, whole. */
  private static final class Answer {
    private final int status;
    private final byte[] body;

    Answer(int status, byte[] body) {
      this.status = status;
      this.body = body;
    }

    int status() {
      return status;
    }

    byte[] body() {
      return body;
    }
  }

  /**
   * One exchange on a client of its own, stopped after it: a command makes one call, and nothing of
   * the client outlives it.
   */
  private Answer send(
      String method, String path, @Nullable JsonNode body, int expected, String doing)
      throws CliException, InterruptedException {
    byte[] content = body == null ? null : bytes(body);
    byte[] token = content == null ? null : token();
    HttpClient http = startClient();
    try {
      Request request =
          http.newRequest(URI.create(server + path))
              .method(method)
              .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (content != null) {
        request.body(new BytesRequestContent("application/json", content));
      }
      if (token != null) {
        // One char per byte: Jetty writes each char of a header value as that byte.
        String value = "Bearer " + new String(token, StandardCharsets.ISO_8859_1);
        request.headers(headers -> headers.put(HttpHeader.AUTHORIZATION, value));
      }
      BoundedAnswer listener = new BoundedAnswer(maxAnswer);
      request.send(listener);
      Answer answer = await(request, listener.answer, doing);
      if (answer.status() != expected) {
        String text = new String(answer.body(), StandardCharsets.UTF_8).strip();
        throw new CliException(
            doing
                + ": unexpected status "
                + answer.status()
                + ": "
                + UntrustedText.escape(text, MAX_ERROR_SHOWN));
      }
      return answer;
    } finally {
      stop(http);
    }
  }

  private Answer await(Request request, CompletableFuture<Answer> answer, String doing)
      throws CliException, InterruptedException {
    try {
      // The request's own timeout ends the exchange; this one is for a client that fails to.
      return answer.get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      CompletableFuture<Boolean> unused = request.abort(e);
      throw didNotAnswer(doing);
    } catch (InterruptedException e) {
      CompletableFuture<Boolean> unused = request.abort(e);
      throw e;
    } catch (ExecutionException e) {
      throw failed(doing, e.getCause());
    }
  }

  private byte[] bytes(JsonNode body) throws CliException {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (JacksonException e) {
      throw new CliException("cannot write the request: " + JsonProblems.describe(e));
    }
  }

  private byte @Nullable [] token() throws CliException {
    if (tokenFile == null) {
      return null;
    }
    try {
      return TokenFile.read(tokenFile);
    } catch (IllegalArgumentException e) {
      throw new CliException(String.valueOf(e.getMessage()));
    }
  }

  /**
   * A started client that follows no redirect, asks for no compression and names no user agent, on
   * daemon threads.
   */
  private static HttpClient startClient() throws CliException {
    QueuedThreadPool threads = new QueuedThreadPool(8, 1);
    threads.setName("melange-pool-client");
    threads.setDaemon(true);
    HttpClient http = new HttpClient();
    http.setExecutor(threads);
    http.setScheduler(new ScheduledExecutorScheduler("melange-pool-client-timer", true));
    http.setConnectTimeout(CONNECT_TIMEOUT.toMillis());
    http.setFollowRedirects(false);
    http.setUserAgentField(null);
    http.setMaxResponseHeadersSize(MAX_HEADERS);
    try {
      http.start();
    } catch (Exception e) {
      stop(http);
      throw new CliException(
          "cannot start the HTTP client: " + UntrustedText.escape(e.getMessage()));
    }
    // Started, the client has installed its decoders (and would ask for gzip): none, so that
    // what is read is what came, within the size limit.
    http.getContentDecoderFactories().clear();
    return http;
  }

  private static void stop(HttpClient http) {
    try {
      http.stop();
    } catch (Exception e) {
      // Nothing is left to do with it: the command ends.
    }
  }

  private CliException didNotAnswer(String doing) {
    return new CliException(
        doing + ": " + server + " did not answer within " + timeout.toSeconds() + "s");
  }

  /** A failed exchange, said in our words: never an exception's name. */
  private CliException failed(String doing, @Nullable Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof AnswerTooLargeException) {
        return new CliException(
            doing + ": " + server + " sent an answer larger than " + maxAnswer + " bytes");
      }
      if (cause instanceof TimeoutException) {
        return didNotAnswer(doing);
      }
      if (cause instanceof ConnectException) {
        return new CliException(doing + ": cannot connect to " + server + ": connection refused");
      }
      if (cause instanceof SocketTimeoutException) {
        return new CliException(
            doing
                + ": cannot connect to "
                + server
                + ": no answer within "
                + CONNECT_TIMEOUT.toSeconds()
                + "s");
      }
      if (cause instanceof UnknownHostException) {
        return new CliException(
            doing
                + ": cannot connect to "
                + server
                + ": unknown host "
                + UntrustedText.escape(server.getHost()));
      }
      if (cause instanceof SSLException) {
        return new CliException(
            doing + ": " + server + ": TLS failed: " + UntrustedText.escape(cause.getMessage()));
      }
      if (cause instanceof HttpResponseException) {
        // Jetty's parser refused the answer: too many header bytes, or not HTTP at all.
        return cause.getCause() instanceof HttpException http
                && String.valueOf(http.getReason()).toLowerCase(Locale.ROOT).contains("too large")
            ? new CliException(
                doing + ": " + server + " sent headers larger than " + MAX_HEADERS + " bytes")
            : new CliException(
                doing + ": " + server + " answered with something other than an HTTP/1.1 answer");
      }
      if (cause instanceof EOFException || cause instanceof ClosedChannelException) {
        return new CliException(doing + ": " + server + " closed the connection before answering");
      }
    }
    Throwable root = failure;
    while (root != null && root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    // The JDK's I/O messages are the system's words ("Connection reset"); Jetty's describe its
    // own objects, which tell an operator nothing.
    String message =
        root != null && root.getClass().getName().startsWith("java.") ? root.getMessage() : null;
    return new CliException(
        doing
            + ": "
            + server
            + ": the exchange failed"
            + (message == null || message.isBlank() ? "" : ": " + UntrustedText.escape(message)));
  }

  private JsonNode json(Answer answer, String doing) throws CliException {
    if (answer.body().length == 0 || new String(answer.body(), StandardCharsets.UTF_8).isBlank()) {
      throw new CliException(
          doing
              + ": "
              + server
              + " answered "
              + answer.status()
              + " with an empty body, expected a JSON object");
    }
    try {
      return JSON.readTree(answer.body());
    } catch (StreamConstraintsException e) {
      throw new CliException(
          doing
              + ": "
              + server
              + " answered with JSON beyond the command's limits: "
              + JsonProblems.describe(e));
    } catch (JacksonException e) {
      throw new CliException(
          doing
              + ": "
              + server
              + " answered with something other than JSON: "
              + JsonProblems.describe(e));
    } catch (IOException e) {
      throw new CliException(doing + ": " + server + " answered with something other than JSON");
    }
  }

  /** An answer over the size limit: the exchange is cut off. */
  private static final class AnswerTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    AnswerTooLargeException() {
      super("answer too large", null);
    }
  }

  /**
   * Collects an answer's body up to a size, and aborts the exchange beyond it (from its {@code
   * Content-Length} before any of it is read). Jetty calls one exchange's listener methods one at a
   * time; the lock makes what {@code onComplete} reads plainly visible.
   */
  private static final class BoundedAnswer implements Response.Listener {
    private final int max;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final CompletableFuture<Answer> answer = new CompletableFuture<>();

    BoundedAnswer(int max) {
      this.max = max;
    }

    @Override
    public synchronized void onHeaders(Response response) {
      if (response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH) > max) {
        CompletableFuture<Boolean> unused = response.abort(new AnswerTooLargeException());
      }
    }

    @Override
    public synchronized void onContent(Response response, ByteBuffer content) {
      if (content.remaining() > max - bytes.size()) {
        CompletableFuture<Boolean> unused = response.abort(new AnswerTooLargeException());
        return;
      }
      byte[] chunk = new byte[content.remaining()];
      content.get(chunk);
      bytes.write(chunk, 0, chunk.length);
    }

    @Override
    public synchronized void onComplete(Result result) {
      if (result.isFailed()) {
        answer.completeExceptionally(result.getFailure());
      } else {
        answer.complete(new Answer(result.getResponse().getStatus(), bytes.toByteArray()));
      }
    }
  }
}
