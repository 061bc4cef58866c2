package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.BackendPool;
import dev.melange.pool.buildkit.server.TestApi.Reply;
import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bodies the API refuses, with a 4xx and a message, and the errors it never explains. */
class RequestBodyTest {
  private static final String ADD = "/api/v1/backends";

  /** A valid add of {@code size} bytes exactly, padded with a long label value. */
  private static String addOfSize(int size) {
    String head = "{\"addr\":\"tcp://big:1234\",\"arch\":\"x86_64\"";
    String tail = "}";
    // Padded with white space: a label value could not pad it, as Backend bounds labels.
    return head + " ".repeat(size - head.length() - tail.length()) + tail;
  }

  private static void assertBadRequest(Reply reply, String message) {
    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(reply.body()).isEqualTo(message + "\n");
  }

  @Test
  void aBodyOfExactly64KiBIsRead() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertThat(server.post(ADD, addOfSize(65_536)).status()).isEqualTo(201);
    }
  }

  @Test
  void aLargerBodyWithContentLengthIsRefusedUpFront() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      for (int size : new int[] {65_537, 300_000}) {
        Reply reply = server.post(ADD, addOfSize(size));
        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.body()).isEqualTo("request body too large: the limit is 65536 bytes\n");
      }
      assertThat(server.pool.backends()).hasSize(3);
      // The connection stays usable after the refusals.
      assertThat(server.get(ADD).status()).isEqualTo(200);
    }
  }

  /** Posts an add of {@code size} bytes with no length up front: the client sends it chunked. */
  private static Reply postChunked(TestApi server, int size) throws Exception {
    byte[] body = addOfSize(size).getBytes(StandardCharsets.UTF_8);
    return server.send(
        "POST", ADD, BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
  }

  @Test
  void aLargerChunkedBodyIsRefusedWhileReading() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply = postChunked(server, 70_000);

      assertThat(reply.status()).isEqualTo(413);
      assertThat(reply.body()).isEqualTo("request body too large: the limit is 65536 bytes\n");
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void aChunkedBodyWithinTheLimitIsRead() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertThat(postChunked(server, 65_536).status()).isEqualTo(201);
    }
  }

  @Test
  void malformedJsonIsRefusedWithWhereItBroke() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply = server.post(ADD, "{\"addr\" \"tcp://a:1\"}");

      assertThat(reply.status()).isEqualTo(400);
      assertThat(reply.body())
          .startsWith("invalid request body: unexpected character '\"' at line 1, column 9")
          .contains("at line 1, column ")
          .endsWith("\n")
          .doesNotContain("Exception", "\tat ");
    }
  }

  @Test
  void onlyAJsonObjectIsABody() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertBadRequest(
          server.post(ADD, ""), "invalid request body: empty body, expected a JSON object");
      assertBadRequest(
          server.post(ADD, "  \n"), "invalid request body: empty body, expected a JSON object");
      assertBadRequest(server.post(ADD, "[]"), "invalid request body: expected a JSON object");
      assertBadRequest(server.post(ADD, "null"), "invalid request body: expected a JSON object");
      assertBadRequest(
          server.post(ADD, "{\"addr\":\"tcp://a:1\",\"arch\":\"x\"} {}"),
          "invalid request body: unexpected data after the JSON object");
      assertThat(server.post(ADD, "{\"addr\":\"a\",\"addr\":\"b\",\"arch\":\"x\"}").body())
          .startsWith("invalid request body: duplicate field \"addr\"");
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void theContentTypeMustBeJson() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      String body = "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\"}";
      assertBadRequest(
          server.post(ADD, body, "Content-Type", "text/plain"),
          "Content-Type must be application/json, was \"text/plain\"");
      assertBadRequest(
          server.post(ADD, body, "Content-Type", "application/x-www-form-urlencoded"),
          "Content-Type must be application/json, was \"application/x-www-form-urlencoded\"");
      assertBadRequest(
          server.post(ADD, body, "Content-Type", "application/json; charset=latin1"),
          "charset must be utf-8, was \"latin1\"");
      assertThat(server.pool.backends()).hasSize(3);

      assertThat(server.post(ADD, body, "Content-Type", "Application/JSON; charset=UTF-8").status())
          .isEqualTo(201);
    }
  }

  @Test
  void aMissingContentTypeIsReadAsJson() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply =
          server.send(
              server
                  .request(ADD)
                  .POST(BodyPublishers.ofString("{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\"}")));

      assertThat(reply.status()).isEqualTo(201);
    }
  }

  @Test
  void unknownFieldsAreRefused() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertBadRequest(
          server.post(ADD, "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\",\"foo\":1}"),
          "invalid request body: unknown field \"foo\"");
      assertBadRequest(
          server.post(ADD, "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\",\"weight\":2}"),
          "invalid request body: unknown field \"weight\"");
      assertBadRequest(
          server.delete(ADD, "{\"address\":\"tcp://buildkit-arm:1234\"}"),
          "invalid request body: unknown field \"address\"");
      assertBadRequest(
          server.post("/api/v1/backends/cordon", "{\"glob\":\"*\"}"),
          "invalid request body: unknown field \"glob\"");
    }
  }

  @Test
  void fieldsMustHaveTheirTypesWithoutCoercion() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      String base = "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\",";
      assertBadRequest(
          server.post(ADD, base + "\"maxJobs\":\"x\"}"),
          "invalid request body: field \"maxJobs\" must be an integer");
      assertBadRequest(
          server.post(ADD, base + "\"maxJobs\":\"4\"}"),
          "invalid request body: field \"maxJobs\" must be an integer");
      assertBadRequest(
          server.post(ADD, base + "\"maxJobs\":1.5}"),
          "invalid request body: field \"maxJobs\" must be an integer");
      assertBadRequest(
          server.post(ADD, base + "\"maxJobs\":true}"),
          "invalid request body: field \"maxJobs\" must be an integer");
      assertThat(server.post(ADD, base + "\"maxJobs\":99999999999}").body())
          .startsWith("invalid request body: field \"maxJobs\"");
      assertBadRequest(
          server.post(ADD, "{\"addr\":5,\"arch\":\"x86_64\"}"),
          "invalid request body: field \"addr\" must be a string");
      assertBadRequest(
          server.post(ADD, "{\"addr\":\"tcp://a:1\",\"arch\":true}"),
          "invalid request body: field \"arch\" must be a string");
      assertBadRequest(
          server.post(ADD, base + "\"labels\":[\"tier=x\"]}"),
          "invalid request body: field \"labels\" must be an object of strings");
      assertBadRequest(
          server.post(ADD, base + "\"labels\":\"tier=x\"}"),
          "invalid request body: field \"labels\" must be an object of strings");
      assertBadRequest(
          server.post(ADD, base + "\"labels\":{\"tier\":1}}"),
          "invalid request body: field \"labels.tier\" must be a string");
      assertBadRequest(
          server.post(ADD, base + "\"labels\":{\"tier\":null}}"),
          "invalid request body: field \"labels.tier\" must be a string");
      assertBadRequest(
          server.post("/api/v1/backends/drain", "{\"pattern\":[\"*\"]}"),
          "invalid request body: field \"pattern\" must be a string");
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void nullsAreAbsentValues() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertBadRequest(server.post(ADD, "{\"addr\":null,\"arch\":\"x\"}"), "addr is required");
      Reply added =
          server.post(
              ADD, "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\",\"labels\":null,\"maxJobs\":null}");
      assertThat(added.status()).isEqualTo(201);
      assertThat(added.json().get("maxJobs").asInt()).isZero();
    }
  }

  @Test
  void anUnexpectedFailureIsA500WithoutItsStackTrace() throws Exception {
    BackendPool real = TestApi.guidePool();
    BackendPool failing =
        (BackendPool)
            Proxy.newProxyInstance(
                BackendPool.class.getClassLoader(),
                new Class<?>[] {BackendPool.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("status")) {
                    throw new IllegalStateException("secret detail");
                  }
                  try {
                    return method.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    try (TestApi server = TestApi.start(failing)) {
      Reply reply = server.get("/api/v1/backends/status");

      assertThat(reply.status()).isEqualTo(500);
      assertThat(reply.contentType()).isEqualTo("text/plain; charset=utf-8");
      assertThat(reply.body()).isEqualTo("internal error\n");
      // The server goes on serving.
      assertThat(server.get(ADD).status()).isEqualTo(200);
    } finally {
      real.close();
    }
  }
}
