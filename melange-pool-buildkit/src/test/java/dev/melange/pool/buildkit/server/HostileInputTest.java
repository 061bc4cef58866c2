package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.melange.pool.buildkit.server.TestApi.Reply;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bodies built to hurt: patterns that would backtrack, values that would forge lines or flood the
 * answer, JSON that would dig into the parser. Each is answered at once with one line of plain text
 * in the API's words.
 */
class HostileInputTest {
  private static final String HOSTILE = "****************tcp://victim:1234";

  /** Posts with a 5 s limit: a route that backtracks for minutes fails here. */
  private static Reply promptPost(TestApi server, String path, String json) throws Exception {
    return server.send(
        server
            .request(path)
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString(json)));
  }

  private static String patternBody(String pattern) {
    return TestApi.JSON.createObjectNode().put("pattern", pattern).toString();
  }

  @Test
  void aPatternOfManyStarsIsAnsweredAtOnceOnEveryOperatorRoute() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      for (String route : List.of("drain", "cordon", "uncordon")) {
        Reply reply = promptPost(server, "/api/v1/backends/" + route, patternBody(HOSTILE));

        assertThat(reply.status()).as(route).isEqualTo(404);
        assertThat(reply.body()).isEqualTo("no backend matches \"" + HOSTILE + "\"\n");
      }
      Reply matching =
          promptPost(
              server, "/api/v1/backends/drain", patternBody("****************buildkit-arm*"));
      assertThat(matching.status()).isEqualTo(202);
      assertThat(matching.json().get("backends").get(0).get("addr").asText())
          .isEqualTo("tcp://buildkit-arm:1234");
    }
  }

  @Test
  void aPatternOf60KilobytesIsAnsweredAtOnceAndNotEchoedBack() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      for (String pattern :
          List.of(
              "*".repeat(30_000) + "tcp://victim:1234" + "*?".repeat(15_000),
              "*a".repeat(30_000),
              "tcp://" + "x".repeat(60_000))) {
        Reply reply = promptPost(server, "/api/v1/backends/drain", patternBody(pattern));

        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.body())
            .startsWith("no backend matches \"")
            .contains(" characters)")
            .endsWith("\n");
        assertThat(reply.body().length()).isLessThan(300);
      }
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void errorsEscapeWhatTheClientSent() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply forged =
          promptPost(
              server,
              "/api/v1/backends/cordon",
              patternBody("x\n2026-01-01 INFO removed backend tcp://a:1\u001b[2J\u202e"));
      assertThat(forged.status()).isEqualTo(404);
      assertThat(forged.body())
          .isEqualTo(
              "no backend matches \"x\\n2026-01-01 INFO removed backend"
                  + " tcp://a:1\\u001b[2J\\u202e\"\n");

      Reply field = promptPost(server, "/api/v1/backends", "{\"a\\u0007\\nb\":1}");
      assertThat(field.body()).isEqualTo("invalid request body: unknown field \"a\\u0007\\nb\"\n");

      Reply contentType =
          server.post(
              "/api/v1/backends", "{}", "Content-Type", "text/plain; x=" + "y".repeat(5_000));
      assertThat(contentType.status()).isEqualTo(400);
      assertThat(contentType.body().length()).isLessThan(300);
    }
  }

  @Test
  void aLongUnknownPathIsNotEchoed() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply = server.get("/api/v1/" + "x".repeat(6_000));

      assertThat(reply.status()).isEqualTo(404);
      assertThat(reply.body()).isEqualTo("404 page not found\n");
    }
  }

  @Test
  void malformedJsonIsDescribedInTheApisWordsWithoutParserInternals() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      for (String body :
          List.of(
              "{\"addr\":",
              "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\"",
              "{\"addr\":\"tcp://a:1\" /* comment */}",
              "{'addr':'tcp://a:1'}",
              "{\"addr\":NaN}",
              "{\"maxJobs\":0123}",
              "{\"addr\":\"a\nb\"}",
              "{\"addr\":tru}",
              "{\"labels\":{\"x\":" + "[".repeat(100) + "]".repeat(100) + "}}",
              "{\"maxJobs\":" + "9".repeat(1_000) + "}",
              "{\"" + "k".repeat(5_000) + "\":1}",
              "{\"addr\":\"\\uZZZZ\"}",
              "{\"addr\":xyz}",
              "{\"maxJobs\":2147483648}",
              "{\"addr\":\"\\q\"}",
              "{\"addr\":\"x\" \"arch\":\"y\"}",
              "{\"addr\":\"abc",
              "{]",
              "\u00ff\u00fe{}")) {
        Reply reply = server.post("/api/v1/backends", body);

        assertThat(reply.status()).as(body).isEqualTo(400);
        assertThat(reply.contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(reply.body()).as(body).startsWith("invalid request body: ").endsWith("\n");
        assertThat(reply.body().lines()).as(body).hasSize(1);
        assertThat(reply.body().length()).as(body).isLessThan(300);
        assertThat(reply.body())
            .as(body)
            .doesNotContain(
                "Feature",
                "REDACTED",
                "Source",
                "`",
                "com.fasterxml",
                "java.",
                "StreamRead",
                "Constraints",
                // The parser's own phrases: the API says it in its words.
                "Unexpected end-of-input",
                "Unrecognized token",
                "was expecting",
                "Numeric value",
                "out of range of int",
                "CTRL-CHAR",
                "(code ",
                "Illegal",
                "VALUE_STRING");
      }
      for (String[] described :
          new String[][] {
            {"{\"addr\":", "the JSON ends inside an object at line 1, column 9"},
            {"{\"addr\":\"abc", "the JSON ends inside a string at line 1, column 13"},
            {"{\"addr\":xyz}", "unrecognized value \"xyz\" at line 1, column 9"},
            {
              "{\"addr\":\"tcp://a:1\" /* comment */}",
              "unexpected character '/' at line 1, column 21: JSON has no comments"
            },
            {
              "{\"addr\":\"x\" \"arch\":\"y\"}",
              "unexpected character '\"' at line 1, column 13, expected a comma or '}'"
            },
            {
              "{\"addr\":\"a\nb\"}",
              "an unescaped control character (U+000A) in a string at line 1, column 11"
            },
            {
              "{\"maxJobs\":2147483648}",
              "field \"maxJobs\" must be an integer from -2147483648 to 2147483647, was 2147483648"
            },
            {"{\"addr\":\"a\",\"addr\":\"b\"}", "duplicate field \"addr\" at line 1, column 19"},
          }) {
        assertThat(server.post("/api/v1/backends", described[0]).body())
            .as(described[0])
            .isEqualTo("invalid request body: " + described[1] + "\n");
      }
    }
  }

  @Test
  void aMalformedQueryIsDescribedInTheApisWords() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      RawHttp.Answer reply;
      try (RawHttp client = new RawHttp(server.api.address().getPort())) {
        reply =
            client
                .send("GET /api/v1/backends?arch=%zz%1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .read();
      }

      assertThat(reply.status()).isEqualTo(400);
      assertThat(reply.body())
          .isEqualTo("invalid query: \"%zz%1\" holds a % that is not followed by two hex digits\n");
    }
  }

  @Test
  void theParsersLimitsAreNamed() throws Exception {
    // The routes' types refuse a nested value before the parser goes deep; the limit stands
    // behind them.
    assertThatThrownBy(
            () ->
                ApiJson.read(
                    ("{\"x\":" + "[".repeat(20) + "]".repeat(20) + "}")
                        .getBytes(StandardCharsets.UTF_8),
                    JsonNode.class))
        .hasMessage("invalid request body: JSON nested deeper than 16 levels");
    try (TestApi server =
        TestApi.start(TestApi.guidePool(), options -> options.maxRequestBodySize(1 << 20))) {
      assertThat(
              server
                  .post(
                      "/api/v1/backends",
                      "{\"addr\":\"" + "a".repeat(70_000) + "\",\"arch\":\"x86_64\"}")
                  .body())
          .isEqualTo("invalid request body: a string longer than 65536 characters\n");
      assertThat(server.post("/api/v1/backends", "{\"maxJobs\":" + "1".repeat(21) + "}").body())
          .isEqualTo("invalid request body: a number longer than 20 characters\n");
      assertThat(server.post("/api/v1/backends", "{\"" + "k".repeat(1_025) + "\":1}").body())
          .isEqualTo("invalid request body: a field name longer than 1024 characters\n");
    }
  }
}
