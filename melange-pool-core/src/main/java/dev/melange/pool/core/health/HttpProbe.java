package dev.melange.pool.core.health;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;

/**
 * The {@code http} probe: a GET of the check's path, healthy on its expected status (any 2xx by
 * default). One {@link HttpClient} serves every http probe in the JVM: its connections are reused
 * and its I/O is asynchronous on the client's own selector thread, with one small executor for the
 * completions. Redirects are not followed (a 3xx is not healthy unless expected).
 */
public final class HttpProbe implements HealthProbe {

  public static final HealthProbe.Factory FACTORY =
      new HealthProbe.Factory() {
        @Override
        public String type() {
          return HealthCheck.HTTP;
        }

        @Override
        public HealthProbe create(Backend backend, HealthCheck check) {
          ProbeEndpoint endpoint = ProbeEndpoint.of(backend.addr(), check.port(), HealthCheck.HTTP);
          String path = Objects.requireNonNull(check.path(), "path");
          URI uri;
          try {
            uri =
                URI.create(
                    (endpoint.secure() ? "https://" : "http://") + endpoint.authority() + path);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                "an http health check cannot probe "
                    + backend.addr()
                    + path
                    + ": "
                    + e.getMessage(),
                e);
          }
          return new HttpProbe(
              uri, check.expectedStatus(), ProbeLookups.isLiteral(endpoint.host()));
        }

        @Override
        public String toString() {
          return "http probes";
        }
      };

  private final URI uri;
  private final int expectedStatus;

  /** Whether the host is an IP literal: a name may need a lookup, which must not block here. */
  private final boolean literal;

  HttpProbe(URI uri, int expectedStatus, boolean literal) {
    this.uri = uri;
    this.expectedStatus = expectedStatus;
    this.literal = literal;
  }

  @Override
  public CompletionStage<Result> check(Duration timeout) {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .GET()
            .timeout(timeout)
            .header("User-Agent", "melange-pool health check")
            .build();
    // The result a caller may cancel (the pool does on a timeout, or when it stops probing):
    // cancelling it cancels the request, or keeps a request not sent yet from being sent.
    CompletableFuture<Result> result = new CompletableFuture<>();
    if (literal) {
      send(request, result);
    } else {
      // Sent from the lookup threads, in case the client resolves the name on the caller's.
      CompletableFuture<Void> unused =
          CompletableFuture.runAsync(
              () -> {
                if (!result.isDone()) {
                  send(request, result);
                }
              },
              ProbeLookups.executor());
    }
    return result;
  }

  private void send(HttpRequest request, CompletableFuture<Result> result) {
    CompletableFuture<HttpResponse<Void>> response =
        Client.INSTANCE.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    CompletableFuture<Result> unusedCancel = result.whenComplete((r, f) -> response.cancel(true));
    CompletableFuture<HttpResponse<Void>> unusedPass =
        response.whenComplete(
            (answer, failure) ->
                result.complete(
                    answer != null
                        ? judge(answer.statusCode())
                        : Result.down(ProbeFailures.why(failure))));
  }

  private Result judge(int status) {
    boolean healthy =
        expectedStatus == 0 ? status >= 200 && status <= 299 : status == expectedStatus;
    return healthy ? Result.up("HTTP " + status) : Result.down("HTTP " + status);
  }

  @Override
  public String toString() {
    return "http probe of " + uri;
  }

  /** The client of every http probe, made on first use. */
  private static final class Client {
    static final HttpClient INSTANCE =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(HealthCheck.DEFAULT_TIMEOUT)
            .executor(
                Executors.newFixedThreadPool(1, DaemonThreads.named("melange-pool-health-http-")))
            .build();
  }
}
