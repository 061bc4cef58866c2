package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AdminState;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.buildkit.server.RawHttp.Answer;
import dev.melange.pool.buildkit.server.TestApi.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a web page could make a browser on the operator's machine send to a server that trusts its
 * loopback clients: a cross-site request (CSRF) and a request through a rebound name. Refused
 * before any route, while melange, curl and scripts pass as before.
 */
class CrossOriginTest {
  private static final String DRAIN = "/api/v1/backends/drain";
  private static final String CORDON = "/api/v1/backends/cordon";

  @TempDir Path dir;

  /** One request of exactly these bytes on a connection of its own, and its answer. */
  private static Answer raw(TestApi server, String request) throws Exception {
    try (RawHttp client = new RawHttp(server.api.address().getPort())) {
      return client.send(request).read();
    }
  }

  /** A POST of {@code body} with these header lines (each ending in CRLF) and no other. */
  private static String post(String path, String headers, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\n"
        + headers
        + "Content-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\nConnection: close\r\n\r\n"
        + body;
  }

  private static String here(TestApi server) {
    return "127.0.0.1:" + server.api.address().getPort();
  }

  private static void assertUntouched(TestApi server) {
    assertThat(server.pool.status())
        .hasSize(3)
        .extracting(BackendStatus::adminState)
        .containsOnly(AdminState.READY);
  }

  @Test
  void aWebPagesSimpleRequestCannotDrainALoopbackServer() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      // What fetch(..., {method: "POST", mode: "no-cors", body: new Blob([...])}) sends: no
      // Content-Type, so no preflight; the browser adds Origin.
      Answer answer =
          raw(
              server,
              post(
                  DRAIN,
                  "Host: " + here(server) + "\r\nOrigin: http://attacker.example\r\n",
                  "{\"pattern\":\"tcp://buildkit-arm*\"}"));

      assertThat(answer.status()).isEqualTo(403);
      assertThat(answer.contentType()).isEqualTo("text/plain; charset=utf-8");
      assertThat(answer.body())
          .isEqualTo(
              "cross-origin request refused (Origin \"http://attacker.example\" is not this"
                  + " server): a web page may not change the pool\n");
      assertUntouched(server);
    }
  }

  @Test
  void fetchMetadataOfAnotherSiteIsRefusedAndOfThisOriginOrNoneLetThrough() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      String body = "{\"pattern\":\"tcp://nothing*\"}";
      for (String site : List.of("cross-site", "same-site")) {
        Answer answer =
            raw(
                server,
                post(
                    CORDON,
                    "Host: " + here(server) + "\r\nSec-Fetch-Site: " + site + "\r\n",
                    body));
        assertThat(answer.status()).as(site).isEqualTo(403);
        assertThat(answer.body())
            .isEqualTo(
                "cross-origin request refused (Sec-Fetch-Site: "
                    + site
                    + "): a web page may not change the pool\n");
      }
      // "none" is the operator's own doing (a bookmark, the address bar); past the check, the
      // route answers: nothing matches.
      for (String site : List.of("none", "same-origin")) {
        Answer answer =
            raw(
                server,
                post(
                    CORDON,
                    "Host: " + here(server) + "\r\nSec-Fetch-Site: " + site + "\r\n",
                    body));
        assertThat(answer.status()).as(site).isEqualTo(404);
      }
    }
  }

  @Test
  void anOriginOfThisServerIsLetThroughAndOfAnyOtherRefused() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      String body = "{\"pattern\":\"tcp://buildkit-arm*\"}";
      int port = server.api.address().getPort();
      for (String origin :
          List.of(
              "null",
              "http://127.0.0.1",
              "http://127.0.0.1:" + (port == 65_535 ? 1 : port + 1),
              "http://localhost:" + port,
              "not a url")) {
        Answer refused =
            raw(
                server,
                post(CORDON, "Host: " + here(server) + "\r\nOrigin: " + origin + "\r\n", body));
        assertThat(refused.status()).as(origin).isEqualTo(403);
      }
      assertUntouched(server);

      Answer allowed =
          raw(
              server,
              post(
                  CORDON,
                  "Host: " + here(server) + "\r\nOrigin: http://" + here(server) + "\r\n",
                  body));
      assertThat(allowed.status()).isEqualTo(200);
    }
  }

  @Test
  void aRebindingPageCanNeitherReadNorChangeALoopbackServer() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      String rebound = "attacker.example:" + server.api.address().getPort();

      Answer read =
          raw(server, "GET /api/v1/backends/status HTTP/1.1\r\nHost: " + rebound + "\r\n\r\n");
      assertThat(read.status()).isEqualTo(421);
      assertThat(read.contentType()).isEqualTo("text/plain; charset=utf-8");
      assertThat(read.body())
          .isEqualTo(
              "misdirected request: Host \""
                  + rebound
                  + "\" is not a loopback name; a server on loopback answers to localhost,"
                  + " 127.0.0.1 and [::1] only\n")
          .doesNotContain("buildkit");

      // To the browser, the page and the server are one origin.
      Answer change =
          raw(
              server,
              post(
                  DRAIN,
                  "Host: "
                      + rebound
                      + "\r\nOrigin: http://"
                      + rebound
                      + "\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/json\r\n",
                  "{\"pattern\":\"*\"}"));
      assertThat(change.status()).isEqualTo(421);

      Answer absolute =
          raw(
              server,
              "GET http://"
                  + rebound
                  + "/api/v1/backends HTTP/1.1\r\nHost: "
                  + here(server)
                  + "\r\n\r\n");
      // Jetty itself refuses a target whose host is not the Host (400); either way, not served.
      assertThat(absolute.status()).isIn(400, 421);
      assertThat(absolute.body()).doesNotContain("buildkit");
      assertUntouched(server);
    }
  }

  @Test
  void onLoopbackOnlyLoopbackNamesAndAddressesAreAnswered() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      int port = server.api.address().getPort();
      for (String host :
          List.of(
              "localhost:" + port,
              "LocalHost",
              "127.0.0.1:" + port,
              "127.1.2.3",
              "[::1]:" + port,
              "[::ffff:127.0.0.1]:" + port)) {
        Answer answer = raw(server, "GET /api/v1/backends HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        assertThat(answer.status()).as(host).isEqualTo(200);
      }
      for (String host :
          List.of(
              "0.0.0.0:" + port, // browsers have sent requests for 0.0.0.0 to local servers
              "localhost.attacker.example",
              "127.0.0.1.attacker.example",
              "127.0.0.256",
              "2130706433",
              "[::]:" + port,
              "[fe80::1]",
              "buildkit-farm")) {
        Answer answer = raw(server, "GET /api/v1/backends HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        assertThat(answer.status()).as(host).isEqualTo(421);
      }
    }
  }

  @Test
  void beyondLoopbackAnyHostIsAnsweredButWebPagesStillCannotChangeThePool() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
    try (TestApi server =
        TestApi.start(
            TestApi.guidePool(), options -> options.listenAddress("0.0.0.0:0").tokenFile(token))) {
      int port = server.api.address().getPort();
      Answer read =
          raw(server, "GET /api/v1/backends HTTP/1.1\r\nHost: buildkit-farm:" + port + "\r\n\r\n");
      assertThat(read.status()).isEqualTo(200);

      Answer change =
          raw(
              server,
              post(
                  CORDON,
                  "Host: buildkit-farm:"
                      + port
                      + "\r\nOrigin: http://attacker.example\r\nAuthorization: Bearer s3cret\r\n"
                      + "Content-Type: application/json\r\n",
                  "{\"pattern\":\"*\"}"));
      assertThat(change.status()).isEqualTo(403);
      assertUntouched(server);
    }
  }

  @Test
  void clientsThatAreNotBrowsersPassAsBefore() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      // As melange's Go client and curl send them: Host from the URL, no Origin, no
      // Sec-Fetch-Site.
      Reply cordoned = server.post(CORDON, "{\"pattern\":\"tcp://buildkit-arm*\"}");
      assertThat(cordoned.status()).isEqualTo(200);
      Reply viaLocalhost =
          server.send(
              server
                  .request("/api/v1/backends/status")
                  .uri(
                      java.net.URI.create(
                          "http://localhost:"
                              + server.api.address().getPort()
                              + "/api/v1/backends/status"))
                  .GET());
      assertThat(viaLocalhost.status()).isEqualTo(200);
      // HTTP/1.0 has no Host: no browser sends such a request.
      Answer old = raw(server, "GET /api/v1/backends HTTP/1.0\r\n\r\n");
      assertThat(old.status()).isEqualTo(200);
    }
  }
}
