package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.melange.pool.buildkit.server.TokenFile;
import dev.melange.pool.buildkit.server.UntrustedText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A client of melange-server's backend API, as melange's own: JSON requests, the server's
 * plain-text message in the error ({@code unexpected status 409: backend already exists: <addr>}).
 *
 * <p>It trusts the server with nothing: each exchange, the answer's last byte included, has one
 * deadline (30 seconds), an answer has a size limit (16 MiB), an answer of the wrong shape is an
 * error naming what is wrong, and the server's text in an error is escaped and cut short. The token
 * file is read only for the calls that change the pool, so listing needs none.
 */
final class MelangeServerClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The deadline of one exchange, from sending the request to the last byte of the answer. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The largest answer read: a status of hundreds of backends with many labels fits. */
  static final int MAX_ANSWER = 16 * 1024 * 1024;

  /** How much of an error answer is shown. */
  private static final int MAX_ERROR_SHOWN = 300;

  private final URI server;
  private final @Nullable Path tokenFile;
  private final Duration timeout;
  private final int maxAnswer;
  private final HttpClient http;

  /**
   * @param server the server's base URL, e.g. {@code http://localhost:8080}
   * @param tokenFile a file holding the bearer token the mutating routes need, or null; read only
   *     by those calls
   * @throws CliException when the URL is not http(s)
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
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
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
    return uri;
  }

  /** {@code GET /api/v1/backends[?arch=X]}: the backends and architectures, their shape checked. */
  JsonNode listBackends(@Nullable String arch) throws CliException, InterruptedException {
    String query =
        arch == null || arch.isEmpty()
            ? ""
            : "?arch=" + URLEncoder.encode(arch, StandardCharsets.UTF_8);
    String doing = "listing backends";
    JsonNode list = json(send(request("/api/v1/backends" + query).GET(), 200, doing), doing);
    ServerAnswers.requireBackendList(list, doing, server);
    return list;
  }

  /** {@code POST /api/v1/backends}: the backend as the server added it. */
  JsonNode addBackend(ObjectNode backend) throws CliException, InterruptedException {
    String doing = "adding backend";
    JsonNode added =
        json(send(withBody(request("/api/v1/backends"), "POST", backend), 201, doing), doing);
    ServerAnswers.requireBackend(added, doing, server);
    return added;
  }

  /** {@code DELETE /api/v1/backends}. */
  void removeBackend(String addr) throws CliException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("addr", addr);
    send(withBody(request("/api/v1/backends"), "DELETE", body), 204, "removing backend");
  }

  /** {@code GET /api/v1/backends/status}: one status per backend, their shape checked. */
  JsonNode status() throws CliException, InterruptedException {
    String doing = "getting backend status";
    JsonNode status = json(send(request("/api/v1/backends/status").GET(), 200, doing), doing);
    ServerAnswers.requireStatus(status, doing, server);
    return status;
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(server + path)).timeout(timeout);
  }

  private HttpRequest.Builder withBody(HttpRequest.Builder request, String method, JsonNode body)
      throws CliException {
    try {
      request.method(method, BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new CliException("cannot write the request: " + e.getOriginalMessage());
    }
    request.header("Content-Type", "application/json");
    if (tokenFile != null) {
      byte[] token;
      try {
        token = TokenFile.read(tokenFile);
      } catch (IllegalArgumentException e) {
        throw new CliException(String.valueOf(e.getMessage()));
      }
      // The header carries the token's UTF-8 bytes as they are: one char per byte on the wire.
      request.header("Authorization", "Bearer " + new String(token, StandardCharsets.ISO_8859_1));
    }
    return request;
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

  private Answer send(HttpRequest.Builder request, int expected, String doing)
      throws CliException, InterruptedException {
    CompletableFuture<HttpResponse<byte[]>> exchange =
        http.sendAsync(request.build(), info -> new BoundedBody(maxAnswer));
    HttpResponse<byte[]> response;
    try {
      response = exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw didNotAnswer(doing);
    } catch (InterruptedException e) {
      exchange.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      throw failed(doing, e.getCause());
    }
    Answer answer = new Answer(response.statusCode(), response.body());
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
  }

  private CliException didNotAnswer(String doing) {
    return new CliException(
        doing + ": " + server + " did not answer within " + timeout.toSeconds() + "s");
  }

  private CliException failed(String doing, @Nullable Throwable failure) {
    Throwable cause = failure;
    for (Throwable inner = failure; inner != null; inner = inner.getCause()) {
      if (inner instanceof AnswerTooLargeException
          || inner instanceof ConnectException
          || inner instanceof HttpTimeoutException) {
        cause = inner;
        break;
      }
    }
    if (cause instanceof ConnectException) {
      return new CliException(doing + ": cannot connect to " + server + ": connection refused");
    }
    if (cause instanceof HttpTimeoutException) {
      return didNotAnswer(doing);
    }
    if (cause instanceof AnswerTooLargeException) {
      return new CliException(
          doing + ": " + server + " sent an answer larger than " + maxAnswer + " bytes");
    }
    return new CliException(
        doing + ": " + server + ": " + UntrustedText.escape(String.valueOf(cause)));
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
    } catch (IOException e) {
      String what = e instanceof JsonProcessingException json ? json.getOriginalMessage() : null;
      throw new CliException(
          doing
              + ": "
              + server
              + " answered with something other than JSON: "
              + UntrustedText.escape(
                  what == null ? e.toString() : what.lines().findFirst().orElse("")));
    }
  }

  /** An answer over the size limit: the exchange is cut off. */
  private static final class AnswerTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    AnswerTooLargeException() {
      super("answer too large", null);
    }
  }

  /** Collects an answer's body up to a size, and fails the exchange beyond it. */
  private static final class BoundedBody implements BodySubscriber<byte[]> {
    private final int max;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private Flow.@Nullable Subscription subscription;
    private boolean tooLarge;

    BoundedBody(int max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (tooLarge) {
        return;
      }
      for (ByteBuffer buffer : buffers) {
        if (buffer.remaining() > max - bytes.size()) {
          tooLarge = true;
          if (subscription != null) {
            subscription.cancel();
          }
          body.completeExceptionally(new AnswerTooLargeException());
          return;
        }
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable failure) {
      body.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
      body.complete(bytes.toByteArray());
    }
  }
}
