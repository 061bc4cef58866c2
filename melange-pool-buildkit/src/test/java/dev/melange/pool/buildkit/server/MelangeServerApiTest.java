package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.RateLimit;
import dev.melange.pool.Selector;
import dev.melange.pool.buildkit.server.TestApi.Reply;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every route of melange-server's backend API, with the codes and messages melange gives. */
class MelangeServerApiTest {
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String JSON = "application/json";

  private static void assertError(Reply reply, int status, String message) {
    assertThat(reply.status()).isEqualTo(status);
    assertThat(reply.contentType()).isEqualTo(TEXT);
    assertThat(reply.body()).isEqualTo(message + "\n");
  }

  @Test
  void listsEveryBackendAsConfiguredAndEveryArchitecture() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply = server.get("/api/v1/backends");

      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.contentType()).isEqualTo(JSON);
      assertThat(reply.body())
          .isEqualTo(
              "{\"backends\":["
                  + "{\"addr\":\"tcp://buildkit-x86:1234\",\"arch\":\"x86_64\",\"labels\":"
                  + labelsJson(server, 0)
                  + ",\"maxJobs\":4},"
                  + "{\"addr\":\"tcp://buildkit-arm:1234\",\"arch\":\"aarch64\","
                  + "\"labels\":{\"tier\":\"standard\"},\"maxJobs\":2},"
                  + "{\"addr\":\"tcp://buildkit-highmem:1234\",\"arch\":\"x86_64\",\"labels\":"
                  + labelsJson(server, 2)
                  + ",\"maxJobs\":2}],"
                  + "\"architectures\":[\"x86_64\",\"aarch64\"]}\n");
    }
  }

  /** The labels as the pool keeps them (Map.of has no fixed order), as JSON. */
  private static String labelsJson(TestApi server, int index) throws IOException {
    return TestApi.JSON.writeValueAsString(server.pool.backends().get(index).labels());
  }

  @Test
  void listFiltersByArchButNamesEveryArchitecture() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      JsonNode arm = server.get("/api/v1/backends?arch=aarch64").json();
      assertThat(arm.get("backends")).hasSize(1);
      assertThat(arm.get("backends").get(0).get("addr").asText())
          .isEqualTo("tcp://buildkit-arm:1234");
      assertThat(arm.get("architectures").toString()).isEqualTo("[\"x86_64\",\"aarch64\"]");

      JsonNode none = server.get("/api/v1/backends?arch=riscv64").json();
      assertThat(none.get("backends")).isEmpty();
      assertThat(none.get("architectures")).hasSize(2);

      assertThat(server.get("/api/v1/backends?arch=").json().get("backends")).hasSize(3);
    }
  }

  @Test
  void addsABackendAndEchoesItWith201() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply =
          server.post(
              "/api/v1/backends",
              "{\"addr\":\"tcp://new:1234\",\"arch\":\"riscv64\",\"labels\":{\"tier\":\"x\"}}");

      assertThat(reply.status()).isEqualTo(201);
      assertThat(reply.contentType()).isEqualTo(JSON);
      assertThat(reply.body())
          .isEqualTo(
              "{\"addr\":\"tcp://new:1234\",\"arch\":\"riscv64\",\"labels\":{\"tier\":\"x\"},"
                  + "\"maxJobs\":0}\n");
      assertThat(server.pool.backends())
          .last()
          .isEqualTo(new Backend("tcp://new:1234", "riscv64", 0, Map.of("tier", "x")));
      assertThat(server.pool.architectures()).containsExactly("x86_64", "aarch64", "riscv64");
    }
  }

  @Test
  void addHonoursMaxJobs() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply =
          server.post(
              "/api/v1/backends",
              "{\"addr\":\"tcp://big:1234\",\"arch\":\"x86_64\",\"maxJobs\":9}");

      assertThat(reply.status()).isEqualTo(201);
      assertThat(reply.json().get("maxJobs").asInt()).isEqualTo(9);
      assertThat(server.pool.status()).last().extracting(BackendStatus::maxJobs).isEqualTo(9);
    }
  }

  @Test
  void addWithoutMaxJobsTakesThePoolDefault() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      server.post("/api/v1/backends", "{\"addr\":\"tcp://plain:1234\",\"arch\":\"x86_64\"}");

      assertThat(server.pool.status()).last().extracting(BackendStatus::maxJobs).isEqualTo(4);
      assertThat(server.pool.backends()).last().extracting(Backend::labels).isEqualTo(Map.of());
    }
  }

  @Test
  void addRefusesWhatMelangeRefuses() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertError(
          server.post("/api/v1/backends", "{\"arch\":\"x86_64\"}"), 400, "addr is required");
      assertError(
          server.post("/api/v1/backends", "{\"addr\":\" \",\"arch\":\"x86_64\"}"),
          400,
          "addr is required");
      assertError(
          server.post("/api/v1/backends", "{\"addr\":\"tcp://a:1\"}"), 400, "arch is required");
      assertError(
          server.post("/api/v1/backends", "{\"addr\":\"tcp://buildkit-arm:1234\",\"arch\":\"x\"}"),
          409,
          "backend already exists: tcp://buildkit-arm:1234");
      assertError(
          server.post("/api/v1/backends", "{\"addr\":\"tcp://a:1\",\"arch\":\"x\",\"maxJobs\":-1}"),
          400,
          "maxJobs must be >= 0, was -1");
      assertError(
          server.post(
              "/api/v1/backends",
              "{\"addr\":\"tcp://a:1\",\"arch\":\"x\",\"labels\":{\" \":\"v\"}}"),
          400,
          "label key must not be blank, was \" \"");
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void removesABackendWith204() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply = server.delete("/api/v1/backends", "{\"addr\":\"tcp://buildkit-arm:1234\"}");

      assertThat(reply.status()).isEqualTo(204);
      assertThat(reply.body()).isEmpty();
      assertThat(server.pool.architectures()).containsExactly("x86_64");
    }
  }

  @Test
  void removeRefusesWhatMelangeRefuses() throws Exception {
    BackendPool one = BackendPool.single("tcp://only:1234", null);
    try (TestApi server = TestApi.start(one)) {
      assertError(
          server.delete("/api/v1/backends", "{\"addr\":\"tcp://nope:1234\"}"),
          404,
          "backend not found: tcp://nope:1234");
      assertError(
          server.delete("/api/v1/backends", "{\"addr\":\"tcp://only:1234\"}"),
          400,
          "cannot remove the last backend");
      assertError(server.delete("/api/v1/backends", "{}"), 400, "addr is required");
      Reply malformed = server.delete("/api/v1/backends", "{\"addr\":");
      assertThat(malformed.status()).isEqualTo(400);
      assertThat(malformed.body()).startsWith("invalid request body: ").endsWith("\n");
    }
  }

  @Test
  void otherMethodsAreNotAllowed() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      for (String[] call :
          List.of(
              new String[] {"PUT", "/api/v1/backends", "GET, POST, DELETE"},
              new String[] {"PATCH", "/api/v1/backends", "GET, POST, DELETE"},
              new String[] {"POST", "/api/v1/backends/status", "GET"},
              new String[] {"DELETE", "/api/v1/backends/status", "GET"},
              new String[] {"GET", "/api/v1/backends/cordon", "POST"},
              new String[] {"PUT", "/api/v1/backends/uncordon", "POST"},
              new String[] {"GET", "/api/v1/backends/drain", "POST"})) {
        Reply reply = server.send(call[0], call[1], BodyPublishers.ofString("{}"));
        assertError(reply, 405, "method not allowed");
        assertThat(reply.response().headers().firstValue("Allow")).hasValue(call[2]);
      }
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void unknownPathsAreNotFound() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertError(server.get("/api/v1/backends/"), 404, "404 page not found");
      assertError(server.get("/api/v1/backendsx"), 404, "404 page not found");
      assertError(server.get("/"), 404, "404 page not found");
    }
  }

  @Test
  void statusHasMelangesFieldsAndEveryComponentOfBackendStatusInOrder() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      JsonNode backends = server.get("/api/v1/backends/status").json().get("backends");

      assertThat(backends).hasSize(3);
      List<String> fields = new ArrayList<>();
      backends.get(0).fieldNames().forEachRemaining(fields::add);
      assertThat(fields)
          .isEqualTo(
              Arrays.stream(BackendStatus.class.getRecordComponents())
                  .map(RecordComponent::getName)
                  .toList());
      JsonNode arm = backends.get(1);
      assertThat(arm.get("addr").asText()).isEqualTo("tcp://buildkit-arm:1234");
      assertThat(arm.get("arch").asText()).isEqualTo("aarch64");
      assertThat(arm.get("labels").toString()).isEqualTo("{\"tier\":\"standard\"}");
      assertThat(arm.get("maxJobs").asInt()).isEqualTo(2);
      assertThat(arm.get("activeJobs").asInt()).isZero();
      assertThat(arm.get("failures").asInt()).isZero();
      assertThat(arm.get("circuitOpen").asBoolean()).isFalse();
      assertThat(arm.get("lastFailure").asText()).isEqualTo("0001-01-01T00:00:00Z");
      assertThat(arm.get("adminState").asText()).isEqualTo("ready");
      assertThat(arm.get("circuitState").asText()).isEqualTo("closed");
      assertThat(arm.get("health").asText()).isEqualTo("healthy");
      assertThat(arm.get("lastProbe").isNull()).isTrue();
    }
  }

  @Test
  void statusShowsLeasesFailuresAndTheirTimeInRfc3339() throws Exception {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1234", "x86_64"))
            .failureThreshold(1)
            .build();
    try (TestApi server = TestApi.start(pool)) {
      Lease held = pool.acquire("x86_64", Selector.any());
      JsonNode busy = server.get("/api/v1/backends/status").json().get("backends").get(0);
      assertThat(busy.get("activeJobs").asInt()).isEqualTo(1);

      held.recordFailure(new IOException("build failed"));
      held.close();
      JsonNode failed = server.get("/api/v1/backends/status").json().get("backends").get(0);

      assertThat(failed.get("activeJobs").asInt()).isZero();
      assertThat(failed.get("failures").asInt()).isEqualTo(1);
      assertThat(failed.get("circuitOpen").asBoolean()).isTrue();
      assertThat(failed.get("circuitState").asText()).isEqualTo("open");
      String lastFailure = failed.get("lastFailure").asText();
      assertThat(lastFailure).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d*[1-9])?Z");
      // The pool derives the instant from its ticker on each read: the same to within a second.
      assertThat(Instant.parse(lastFailure))
          .isCloseTo(pool.status().get(0).lastFailure(), within(1, ChronoUnit.SECONDS));
    }
  }

  @Test
  void statusWritesDurationsAsGoDoes() throws Exception {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1234", "x86_64"))
            .strategy("peak-ewma")
            .build();
    try (TestApi server = TestApi.start(pool)) {
      JsonNode status = server.get("/api/v1/backends/status").json().get("backends").get(0);

      // The estimate decays as time passes, so only its form is certain.
      assertThat(pool.status().get(0).latencyEstimate()).isNotNull();
      assertThat(status.get("latencyEstimate").asText())
          .matches("[0-9.]+(ns|\u00b5s|ms|s)|([0-9]+h)?([0-9]+m)?[0-9.]+s");
    }
  }

  @Test
  void statusCarriesTheResiliencePoliciesAsNestedObjects() throws Exception {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1234", "x86_64").withMaxJobs(8))
            .circuitBreaker(CircuitBreakerPolicy.FailureRate.defaults())
            .rateLimit(RateLimit.of(5, 10))
            .adaptiveLimit(AdaptiveLimit.aimd(2))
            .build();
    try (TestApi server = TestApi.start(pool)) {
      BackendStatus expected = pool.status().get(0);
      JsonNode status = server.get("/api/v1/backends/status").json().get("backends").get(0);

      JsonNode calls = status.get("calls");
      assertThat(calls.get("window").asText())
          .isEqualTo(ApiJson.goDuration(expected.calls().window()));
      assertThat(calls.get("calls").asLong()).isZero();
      assertThat(calls.get("failureRate").asDouble()).isZero();
      JsonNode bucket = status.get("rateLimiter");
      assertThat(bucket.get("configuredRate").asDouble()).isEqualTo(5.0);
      assertThat(bucket.get("burst").asInt()).isEqualTo(10);
      assertThat(bucket.get("averageWait").asText()).isEqualTo("0s");
      assertThat(status.get("adaptiveLimit").asInt()).isEqualTo(expected.adaptiveLimit());
    }
  }

  @Test
  void cordonsAndUncordonsTheBackendsAPatternMatches() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply cordoned = server.post("/api/v1/backends/cordon", "{\"pattern\":\"*highmem*\"}");

      assertThat(cordoned.status()).isEqualTo(200);
      assertThat(cordoned.contentType()).isEqualTo(JSON);
      assertThat(cordoned.body())
          .isEqualTo(
              "{\"backends\":[{\"addr\":\"tcp://buildkit-highmem:1234\",\"arch\":\"x86_64\","
                  + "\"labels\":"
                  + labelsJson(server, 2)
                  + ",\"maxJobs\":2}]}\n");
      assertThat(server.pool.status().get(2).adminState()).isEqualTo(AdminState.CORDONED);
      JsonNode highmem = server.get("/api/v1/backends/status").json().get("backends").get(2);
      assertThat(highmem.get("adminState").asText()).isEqualTo("cordoned");

      Reply uncordoned = server.post("/api/v1/backends/uncordon", "{\"pattern\":\"tcp://*\"}");

      assertThat(uncordoned.status()).isEqualTo(200);
      assertThat(uncordoned.json().get("backends")).hasSize(3);
      assertThat(server.pool.status())
          .extracting(BackendStatus::adminState)
          .containsOnly(AdminState.READY);
    }
  }

  @Test
  void drainIsAnsweredOnceStartedNotWhenDone() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Lease held = server.pool.acquire("aarch64", Selector.any());
      Reply reply = server.post("/api/v1/backends/drain", "{\"pattern\":\"*arm*\"}");

      assertThat(reply.status()).isEqualTo(202);
      assertThat(reply.body())
          .isEqualTo(
              "{\"backends\":[{\"addr\":\"tcp://buildkit-arm:1234\",\"arch\":\"aarch64\","
                  + "\"labels\":{\"tier\":\"standard\"},\"maxJobs\":2}]}\n");
      assertThat(server.pool.status().get(1).adminState()).isEqualTo(AdminState.DRAINING);

      CountDownLatch removed = new CountDownLatch(1);
      AutoCloseable subscription =
          server.pool.subscribe(
              event -> {
                if (event instanceof PoolEvent.BackendRemoved) {
                  removed.countDown();
                }
              });
      try {
        held.close();
        assertThat(removed.await(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        subscription.close();
      }
      assertThat(server.pool.architectures()).containsExactly("x86_64");
    }
  }

  @Test
  void drainOfIdleBackendsNamesThemThoughTheyAreGoneAlready() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply = server.post("/api/v1/backends/drain", "{\"pattern\":\"*x86*\"}");

      assertThat(reply.status()).isEqualTo(202);
      assertThat(reply.json().get("backends").get(0).get("addr").asText())
          .isEqualTo("tcp://buildkit-x86:1234");
    }
  }

  @Test
  void operatorRoutesSayWhatThePoolRefuses() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertError(
          server.post("/api/v1/backends/cordon", "{\"pattern\":\"tcp://nope*\"}"),
          404,
          "no backend matches \"tcp://nope*\"");
      assertError(
          server.post("/api/v1/backends/drain", "{\"pattern\":\"*\"}"),
          409,
          "cannot drain every backend: at least one must remain");
      Lease held = server.pool.acquire("aarch64", Selector.any());
      try {
        server.post("/api/v1/backends/drain", "{\"pattern\":\"*arm*\"}");
        assertError(
            server.post("/api/v1/backends/uncordon", "{\"pattern\":\"*\"}"),
            409,
            "cannot uncordon draining backends: tcp://buildkit-arm:1234");
      } finally {
        held.close();
      }
      assertError(server.post("/api/v1/backends/cordon", "{}"), 400, "pattern is required");
      assertError(
          server.post("/api/v1/backends/uncordon", "{\"pattern\":\"\"}"),
          400,
          "pattern is required");
    }
  }

  @Test
  void aHeadRequestGetsTheStatusWithoutABody() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      Reply reply =
          server.send(
              HttpRequest.newBuilder(server.uri("/api/v1/backends"))
                  .method("HEAD", BodyPublishers.noBody()));

      assertThat(reply.status()).isEqualTo(405);
      assertThat(reply.body()).isEmpty();
    }
  }
}
