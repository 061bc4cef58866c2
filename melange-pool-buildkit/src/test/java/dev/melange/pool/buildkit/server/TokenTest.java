package dev.melange.pool.buildkit.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.melange.pool.BackendPool;
import dev.melange.pool.buildkit.server.TestApi.Reply;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may change the pool: anyone on loopback, only holders of the token elsewhere. */
class TokenTest {
  private static final String ADD = "/api/v1/backends";
  private static final String BODY = "{\"addr\":\"tcp://a:1\",\"arch\":\"x86_64\"}";

  @TempDir Path dir;

  private Path tokenFile(String content) throws Exception {
    return Files.writeString(dir.resolve("token"), content);
  }

  @Test
  void refusesToListenBeyondLoopbackWithoutAToken() {
    try (BackendPool pool = TestApi.guidePool()) {
      for (String address : new String[] {"0.0.0.0:0", ":0"}) {
        MelangeServerApi api = MelangeServerApi.builder(pool).listenAddress(address).build();
        assertThatIllegalStateException()
            .isThrownBy(api::start)
            .withMessageStartingWith("refusing to listen on ")
            .withMessageContaining(":0 without a token")
            .withMessageContaining("--token-file");
      }
      MelangeServerApi wildcard = MelangeServerApi.builder(pool).listenAddress("0.0.0.0:0").build();
      assertThatIllegalStateException()
          .isThrownBy(wildcard::start)
          .withMessageContaining("0.0.0.0:0");
    }
  }

  @Test
  void beyondLoopbackOnlyTheTokenMayChangeThePool() throws Exception {
    Path token = tokenFile("s3cret\n");
    try (TestApi server =
        TestApi.start(
            TestApi.guidePool(), options -> options.listenAddress("0.0.0.0:0").tokenFile(token))) {
      assertThat(server.api.address().getAddress().isAnyLocalAddress()).isTrue();
      assertThat(server.get(ADD).status()).isEqualTo(200);
      assertThat(server.get("/api/v1/backends/status").status()).isEqualTo(200);

      Reply missing = server.post(ADD, BODY);
      assertThat(missing.status()).isEqualTo(401);
      assertThat(missing.body()).isEqualTo("unauthorized: send Authorization: Bearer <token>\n");
      assertThat(missing.response().headers().firstValue("WWW-Authenticate"))
          .hasValue("Bearer realm=\"melange-server\"");
      Reply wrong = server.post(ADD, BODY, "Authorization", "Bearer s3cre");
      assertThat(wrong.status()).isEqualTo(401);
      assertThat(wrong.body()).isEqualTo("unauthorized: wrong bearer token\n");
      assertThat(server.post(ADD, BODY, "Authorization", "Basic czNjcmV0").status()).isEqualTo(401);
      assertThat(server.delete(ADD, "{\"addr\":\"tcp://buildkit-arm:1234\"}").status())
          .isEqualTo(401);
      assertThat(server.post("/api/v1/backends/cordon", "{\"pattern\":\"*\"}").status())
          .isEqualTo(401);
      assertThat(server.post("/api/v1/backends/uncordon", "{\"pattern\":\"*\"}").status())
          .isEqualTo(401);
      assertThat(server.post("/api/v1/backends/drain", "{\"pattern\":\"*arm*\"}").status())
          .isEqualTo(401);
      assertThat(server.pool.backends()).hasSize(3);

      assertThat(server.post(ADD, BODY, "Authorization", "Bearer s3cret").status()).isEqualTo(201);
      assertThat(
              server
                  .post(
                      "/api/v1/backends/cordon",
                      "{\"pattern\":\"tcp://a:1\"}",
                      "Authorization",
                      "bearer s3cret")
                  .status())
          .isEqualTo(200);
      assertThat(
              server
                  .delete(ADD, "{\"addr\":\"tcp://a:1\"}", "Authorization", "Bearer s3cret")
                  .status())
          .isEqualTo(204);
    }
  }

  @Test
  void aTokenOnLoopbackIsRequiredToo() throws Exception {
    Path token = tokenFile("  s3cret  ");
    try (TestApi server = TestApi.start(TestApi.guidePool(), options -> options.tokenFile(token))) {
      assertThat(server.post(ADD, BODY).status()).isEqualTo(401);
      assertThat(server.post(ADD, BODY, "Authorization", "Bearer s3cret").status()).isEqualTo(201);
      assertThat(server.get(ADD).status()).isEqualTo(200);
    }
  }

  @Test
  void anEmptyOrMissingTokenFileIsAnError() throws Exception {
    Path empty = tokenFile(" \n");
    try (BackendPool pool = TestApi.guidePool()) {
      MelangeServerApi api =
          MelangeServerApi.builder(pool).listenAddress("127.0.0.1:0").tokenFile(empty).build();
      assertThatIllegalArgumentException()
          .isThrownBy(api::start)
          .withMessage("token file " + empty + " is empty");

      Path missing = dir.resolve("missing");
      MelangeServerApi unreadable =
          MelangeServerApi.builder(pool).listenAddress("127.0.0.1:0").tokenFile(missing).build();
      assertThatIllegalArgumentException()
          .isThrownBy(unreadable::start)
          .withMessageStartingWith("cannot read token file " + missing);
    }
  }

  @Test
  void aTokenFileThatIsNotARegularFileIsRefusedAtStartWithoutBeingRead() throws Exception {
    Path fifo = dir.resolve("fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor() == 0).as("mkfifo is not available").isTrue();
    try (BackendPool pool = TestApi.guidePool()) {
      for (Object[] bad :
          new Object[][] {
            {dir, "token file " + dir + " is a directory, not a file"},
            {
              dir.resolve("missing"),
              "cannot read token file " + dir.resolve("missing") + ": no such file"
            },
            // No writer ever comes: opening it would wait for one for good.
            {fifo, "token file " + fifo + " is not a regular file (a device, a pipe or a socket)"},
          }) {
        MelangeServerApi api =
            MelangeServerApi.builder(pool)
                .listenAddress("127.0.0.1:0")
                .tokenFile((Path) bad[0])
                .build();
        assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () ->
                assertThatIllegalArgumentException()
                    .isThrownBy(api::start)
                    .withMessage((String) bad[1]));
      }
    }
  }

  @Test
  void aDeviceAsTokenFileIsRefusedNotReadToTheEnd() {
    Path zero = Path.of("/dev/zero");
    assertThat(Files.exists(zero)).as("no /dev/zero here").isTrue();
    try (BackendPool pool = TestApi.guidePool()) {
      MelangeServerApi api =
          MelangeServerApi.builder(pool).listenAddress("127.0.0.1:0").tokenFile(zero).build();

      assertThatIllegalArgumentException()
          .isThrownBy(api::start)
          .withMessage("token file /dev/zero is not a regular file (a device, a pipe or a socket)");
    }
  }

  @Test
  void aByteOrderMarkAndALineBreakAreNotPartOfTheToken() throws Exception {
    Path token = Files.write(dir.resolve("token"), "\ufeffs3cret\r\n".getBytes(UTF_8));
    try (TestApi server = TestApi.start(TestApi.guidePool(), options -> options.tokenFile(token))) {
      assertThat(server.post(ADD, BODY, "Authorization", "Bearer s3cret").status()).isEqualTo(201);
    }
  }

  /** Posts an add with an Authorization header of exactly these bytes after "Bearer ". */
  private static int addWithTokenBytes(TestApi server, byte[] token) throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(
        ("POST /api/v1/backends HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + BODY.length()
                + "\r\nAuthorization: Bearer ")
            .getBytes(ISO_8859_1));
    request.write(token);
    request.write(("\r\n\r\n" + BODY).getBytes(ISO_8859_1));
    try (RawHttp client = new RawHttp(server.api.address().getPort())) {
      return client.send(request.toByteArray()).read().status();
    }
  }

  @Test
  void aTokenBeyondAsciiIsComparedAsTheBytesTheHeaderCarries() throws Exception {
    String secret = "s3cr\u00e9t-\u4ee4\u724c";
    Path token = Files.write(dir.resolve("token"), (secret + "\n").getBytes(UTF_8));
    try (TestApi server = TestApi.start(TestApi.guidePool(), options -> options.tokenFile(token))) {
      // Latin-1 bytes of the same letters are another token.
      assertThat(addWithTokenBytes(server, "s3cr\u00e9t".getBytes(ISO_8859_1))).isEqualTo(401);
      assertThat(addWithTokenBytes(server, secret.getBytes(UTF_8))).isEqualTo(201);
      assertThat(server.pool.backends()).hasSize(4);
    }
  }

  @Test
  void aTokenFileThatIsNotOneLineOfTextIsRefusedAtStart() throws Exception {
    try (BackendPool pool = TestApi.guidePool()) {
      for (Object[] bad :
          new Object[][] {
            {new byte[] {(byte) 0xff, (byte) 0xfe, 's', 0}, "is not UTF-8 text"},
            {"s3c\tret".getBytes(UTF_8), "holds a control character (U+0009) at character 4"},
            {"line1\nline2\n".getBytes(UTF_8), "holds a control character (U+000A) at character 6"},
            {"s3cret\u0000".getBytes(UTF_8), "holds a control character (U+0000)"},
            {"\ufeff\r\n".getBytes(UTF_8), "is empty"},
            {new byte[5000], "is larger than 4096 bytes"},
          }) {
        Path file = Files.write(dir.resolve("token"), (byte[]) bad[0]);
        MelangeServerApi api =
            MelangeServerApi.builder(pool).listenAddress("127.0.0.1:0").tokenFile(file).build();
        assertThatIllegalArgumentException()
            .isThrownBy(api::start)
            .withMessageStartingWith("token file " + file + " ")
            .withMessageContaining((String) bad[1]);
      }
    }
  }
}
