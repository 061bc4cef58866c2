package dev.melange.pool.buildkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/** A {@link MelangeServerApi} on 127.0.0.1 with a free port, and a client that talks to it. */
final class TestApi implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  final BackendPool pool;
  final MelangeServerApi api;

  private TestApi(BackendPool pool, MelangeServerApi api) {
    this.pool = pool;
    this.api = api;
  }

  /** The three backends of melange-server's guide, in its order. */
  static BackendPool guidePool() {
    return BackendPool.builder()
        .backend(
            new Backend(
                "tcp://buildkit-x86:1234",
                "x86_64",
                4,
                Map.of("tier", "standard", "location", "us-central1")))
        .backend(new Backend("tcp://buildkit-arm:1234", "aarch64", 2, Map.of("tier", "standard")))
        .backend(
            new Backend(
                "tcp://buildkit-highmem:1234",
                "x86_64",
                2,
                Map.of("tier", "high-memory", "memory", "64gi")))
        .build();
  }

  /** {@code real}, but for its {@code status()}, which {@code status} answers instead. */
  static BackendPool withStatus(BackendPool real, Supplier<List<BackendStatus>> status) {
    return (BackendPool)
        Proxy.newProxyInstance(
            BackendPool.class.getClassLoader(),
            new Class<?>[] {BackendPool.class},
            (proxy, method, args) -> {
              if (method.getName().equals("status")) {
                return status.get();
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  static TestApi start(BackendPool pool) {
    return start(pool, options -> options);
  }

  /**
   * Starts the API over {@code pool} on 127.0.0.1 and a free port, with further options; closing it
   * closes the pool.
   */
  static TestApi start(BackendPool pool, UnaryOperator<MelangeServerApi.Builder> options) {
    MelangeServerApi api =
        options
            .apply(
                MelangeServerApi.builder(pool).listenAddress("127.0.0.1:0").closePoolOnClose(true))
            .build()
            .start();
    return new TestApi(pool, api);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + api.address().getPort() + path);
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path));
  }

  Reply get(String path) throws IOException, InterruptedException {
    return send(request(path).GET());
  }

  Reply post(String path, String json, String... headers) throws IOException, InterruptedException {
    return send("POST", path, BodyPublishers.ofString(json), headers);
  }

  Reply delete(String path, String json, String... headers)
      throws IOException, InterruptedException {
    return send("DELETE", path, BodyPublishers.ofString(json), headers);
  }

  /** A request with a JSON content type unless {@code headers} (name, value, ...) set one. */
  Reply send(String method, String path, BodyPublisher body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = request(path).method(method, body);
    boolean typed = false;
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
      typed |= headers[i].equalsIgnoreCase("Content-Type");
    }
    if (!typed) {
      request.header("Content-Type", "application/json");
    }
    return send(request);
  }

  Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpRequest built = request.build();
    if (built.timeout().isEmpty()) {
      built =
          HttpRequest.newBuilder(built, (name, value) -> true)
              .timeout(Duration.ofSeconds(30))
              .build();
    }
    HttpResponse<String> response = HTTP.send(built, BodyHandlers.ofString());
    return new Reply(
        response.statusCode(),
        response.headers().firstValue("Content-Type").orElse(""),
        response.body(),
        response);
  }

  @Override
  public void close() {
    api.close();
  }

  /** An answer. */
  record Reply(int status, String contentType, String body, HttpResponse<String> response) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }
}
