package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A client of melange-server's backend API, as melange's own: JSON requests, the server's
 * plain-text message in the error ({@code unexpected status 409: backend already exists: <addr>}),
 * 30 seconds a request.
 */
final class MelangeServerClient {
  static final ObjectMapper JSON = new ObjectMapper();

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI server;
  private final @Nullable String token;
  private final HttpClient http;

  /**
   * @param server the server's base URL, e.g. {@code http://localhost:8080}
   * @param tokenFile a file holding the bearer token the mutating routes need, or null
   * @throws CliException when the URL is not http(s) or the token file cannot be read or is empty
   */
  MelangeServerClient(String server, @Nullable Path tokenFile) throws CliException {
    this.server = baseUri(server);
    this.token = tokenFile == null ? null : readToken(tokenFile);
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
      throw new CliException("--server " + server + ": not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
      throw new CliException(
          "--server "
              + server
              + ": expected an http:// or https:// URL, e.g. http://localhost:8080");
    }
    return uri;
  }

  private static String readToken(Path file) throws CliException {
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new CliException("cannot read token file " + file + ": " + e);
    }
    if (token.isEmpty()) {
      throw new CliException("token file " + file + " is empty");
    }
    return token;
  }

  /** {@code GET /api/v1/backends[?arch=X]}. */
  JsonNode listBackends(@Nullable String arch) throws CliException, InterruptedException {
    String query =
        arch == null || arch.isEmpty()
            ? ""
            : "?arch=" + URLEncoder.encode(arch, StandardCharsets.UTF_8);
    return json(send(request("/api/v1/backends" + query).GET(), 200, "listing backends"));
  }

  /** {@code POST /api/v1/backends}: the backend as the server added it. */
  JsonNode addBackend(ObjectNode backend) throws CliException, InterruptedException {
    return json(
        send(withBody(request("/api/v1/backends"), "POST", backend), 201, "adding backend"));
  }

  /** {@code DELETE /api/v1/backends}. */
  void removeBackend(String addr) throws CliException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("addr", addr);
    send(withBody(request("/api/v1/backends"), "DELETE", body), 204, "removing backend");
  }

  /** {@code GET /api/v1/backends/status}. */
  JsonNode status() throws CliException, InterruptedException {
    return json(send(request("/api/v1/backends/status").GET(), 200, "getting backend status"));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(server + path)).timeout(TIMEOUT);
  }

  private HttpRequest.Builder withBody(HttpRequest.Builder request, String method, JsonNode body)
      throws CliException {
    try {
      request.method(method, BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new CliException("cannot write the request: " + e.getOriginalMessage());
    }
    request.header("Content-Type", "application/json");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request;
  }

  private HttpResponse<String> send(HttpRequest.Builder request, int expected, String doing)
      throws CliException, InterruptedException {
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw new CliException(doing + ": cannot connect to " + server + ": connection refused");
    } catch (HttpTimeoutException e) {
      throw new CliException(
          doing + ": " + server + " did not answer within " + TIMEOUT.toSeconds() + "s");
    } catch (IOException e) {
      throw new CliException(doing + ": " + server + ": " + e);
    }
    if (response.statusCode() != expected) {
      throw new CliException(
          doing + ": unexpected status " + response.statusCode() + ": " + response.body().strip());
    }
    return response;
  }

  private static JsonNode json(HttpResponse<String> response) throws CliException {
    try {
      return JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new CliException("decoding response: " + e.getOriginalMessage());
    }
  }
}
