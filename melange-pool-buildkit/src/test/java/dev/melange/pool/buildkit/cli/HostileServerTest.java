package dev.melange.pool.buildkit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.buildkit.cli.Cli.Run;
import dev.melange.pool.buildkit.server.MelangeServerApi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code backends} commands against servers that answer wrong: what they print is checked,
 * escaped and bounded, and an answer of the wrong shape is an error, never an empty table.
 */
class HostileServerTest {
  @TempDir Path dir;

  private static Run backends(FakeServer server, String command) {
    return Cli.run("backends", command, "--server", server.url());
  }

  @Test
  void anEmptyAnswerIsAnError() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.of(200, ""))) {
      for (String[] command :
          new String[][] {{"list", "listing backends"}, {"status", "getting backend status"}}) {
        Run run = backends(server, command[0]);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err())
            .isEqualTo(
                "Error: "
                    + command[1]
                    + ": "
                    + server.url()
                    + " answered 200 with an empty body, expected a JSON object\n");
      }
    }
  }

  @Test
  void anEmptyObjectIsAnErrorNotNoBackends() throws Exception {
    try (FakeServer server = new FakeServer(FakeServer.of(200, "{}"))) {
      Run list = backends(server, "list");
      assertThat(list.exitCode()).isEqualTo(1);
      assertThat(list.out()).isEmpty();
      assertThat(list.err())
          .isEqualTo(
              "Error: listing backends: "
                  + server.url()
                  + " answered without \"backends\": not melange-server's backend API?\n");
      assertThat(backends(server, "status").exitCode()).isEqualTo(1);
    }
  }

  @Test
  void anAnswerOfTheWrongShapeIsAnErrorNamingTheField() throws Exception {
    String[][] cases = {
      {"[]", "the answer must be a JSON object"},
      {"{\"backends\":{},\"architectures\":[]}", "\"backends\" must be a list"},
      {"{\"backends\":[7],\"architectures\":[]}", "\"backends[0]\" must be a JSON object"},
      {
        "{\"backends\":[{\"addr\":5,\"arch\":\"x86_64\"}],\"architectures\":[]}",
        "\"backends[0].addr\" must be a string"
      },
      {
        "{\"backends\":[{\"addr\":\"a\",\"arch\":\"x\",\"labels\":[\"t\"]}],\"architectures\":[]}",
        "\"backends[0].labels\" must be an object of strings"
      },
      {"{\"backends\":[],\"architectures\":[1]}", "\"architectures[0]\" must be a string"},
    };
    for (String[] bad : cases) {
      try (FakeServer server = new FakeServer(FakeServer.of(200, bad[0]))) {
        Run run = backends(server, "list");

        assertThat(run.exitCode()).as(bad[0]).isEqualTo(1);
        assertThat(run.err())
            .as(bad[0])
            .isEqualTo(
                "Error: listing backends: unexpected answer from "
                    + server.url()
                    + ": "
                    + bad[1]
                    + "\n");
      }
    }
    try (FakeServer server =
        new FakeServer(
            FakeServer.of(
                200, "{\"backends\":[{\"addr\":\"a\",\"arch\":\"x\",\"activeJobs\":\"many\"}]}"))) {
      assertThat(backends(server, "status").err())
          .endsWith(": \"backends[0].activeJobs\" must be an integer\n");
    }
    try (FakeServer server = new FakeServer(FakeServer.of(200, "<html>\u001b[2J</html>"))) {
      Run html = backends(server, "list");
      assertThat(html.exitCode()).isEqualTo(1);
      assertThat(html.err())
          .startsWith(
              "Error: listing backends: "
                  + server.url()
                  + " answered with something other than JSON: ")
          .doesNotContain("\u001b")
          .endsWith("\n");
      assertThat(html.err().lines()).hasSize(1);
    }
  }

  @Test
  void failuresAreSaidInTheCommandsWordsNeverAsExceptionNames() throws Exception {
    try (FakeServer deep =
        new FakeServer(FakeServer.of(200, "[".repeat(1_001) + "]".repeat(1_001)))) {
      assertThat(backends(deep, "list").err())
          .isEqualTo(
              "Error: listing backends: "
                  + deep.url()
                  + " answered with JSON beyond the command's limits: JSON nested deeper than 1000"
                  + " levels\n");
    }
    try (FakeServer notHttp =
        new FakeServer(out -> out.write("garbage\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))) {
      assertThat(backends(notHttp, "status").err())
          .isEqualTo(
              "Error: getting backend status: "
                  + notHttp.url()
                  + " answered with something other than an HTTP/1.1 answer\n");
    }
    try (FakeServer silent = new FakeServer(out -> {})) {
      assertThat(backends(silent, "list").err())
          .isEqualTo(
              "Error: listing backends: "
                  + silent.url()
                  + " closed the connection before answering\n");
    }
    Run badPort = Cli.run("backends", "list", "--server", "http://127.0.0.1:99999");
    assertThat(badPort.exitCode()).isEqualTo(1);
    assertThat(badPort.err())
        .isEqualTo(
            "Error: --server http://127.0.0.1:99999: the port must be from 1 to 65535, was"
                + " 99999\n");
    Path missing = dir.resolve("no-such-token");
    Run noToken =
        Cli.run(
            "backends",
            "remove",
            "--server",
            "http://127.0.0.1:1",
            "--addr",
            "tcp://b:1",
            "--token-file",
            missing.toString());
    assertThat(noToken.err())
        .isEqualTo("Error: cannot read token file " + missing + ": no such file\n");
  }

  @Test
  void theServersTextIsPrintedEscaped() throws Exception {
    String hostile =
        "{\"backends\":[{\"addr\":\"tcp://a:1\\u001b]0;pwned\\u0007\",\"arch\":\"x86_64\\u202e\","
            + "\"labels\":{\"tier\\nremoved backend\":\"x\\r\\u0000y\"}}],"
            + "\"architectures\":[\"x86_64\\u202e\",\"\\u009b31m\"]}";
    try (FakeServer server = new FakeServer(FakeServer.of(200, hostile))) {
      Run run = backends(server, "list");

      assertThat(run.exitCode()).isZero();
      assertThat(run.out())
          .isEqualTo(
              "Available architectures: [x86_64\\u202e \\u009b31m]\n"
                  + "\n"
                  + "ADDR                            ARCH           LABELS\n"
                  + "tcp://a:1\\u001b]0;pwned\\u0007   x86_64\\u202e   tier\\nremoved"
                  + " backend=x\\r\\u0000y\n");
    }
    try (FakeServer server =
        new FakeServer(
            FakeServer.of(
                409, "conflict\u001b[2J\nremoved backend tcp://x:1" + "!".repeat(5000)))) {
      Run run = Cli.run("backends", "remove", "--server", server.url(), "--addr", "tcp://x:1");

      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.err())
          .startsWith(
              "Error: removing backend: unexpected status 409: conflict\\u001b[2J\\nremoved backend"
                  + " tcp://x:1!!!")
          .endsWith(" characters)\n");
      assertThat(run.err().lines()).hasSize(1);
      assertThat(run.err().length()).isLessThan(500);
    }
  }

  @Test
  void aHugeAnswerIsCutOffAtTheSizeLimit() throws Exception {
    FakeServer.Answer endless =
        out -> {
          out.write(
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"backends\":["
                  .getBytes(StandardCharsets.ISO_8859_1));
          byte[] spaces = " ".repeat(64 * 1024).getBytes(StandardCharsets.ISO_8859_1);
          for (int i = 0; i < 1024; i++) { // 64 MiB, unless the client hangs up first
            out.write(spaces);
          }
        };
    try (FakeServer server = new FakeServer(endless)) {
      Run run = backends(server, "status");

      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "Error: getting backend status: "
                  + server.url()
                  + " sent an answer larger than 16777216 bytes\n");
    }
  }

  @Test
  void endlessHeadersAreCutOffAtTheirLimit() throws Exception {
    FakeServer.Answer endless =
        out -> {
          out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
          byte[] header =
              ("X-A: " + "a".repeat(1000) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
          for (int i = 0; i < 1_000_000; i++) { // 1 GB, unless the client hangs up first
            out.write(header);
          }
        };
    try (FakeServer server = new FakeServer(endless)) {
      Run run = backends(server, "list");

      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "Error: listing backends: "
                  + server.url()
                  + " sent headers larger than 65536 bytes\n");
    }
  }

  @Test
  void aTricklingAnswerEndsAtTheDeadlineThoughBytesKeepComing() throws Exception {
    FakeServer.Answer trickling =
        out -> {
          out.write(
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                  .getBytes(StandardCharsets.ISO_8859_1));
          for (int i = 0; i < 600; i++) { // a byte every 100 ms: never idle for long
            out.write(' ');
            out.flush();
            Thread.sleep(100);
          }
        };
    try (FakeServer server = new FakeServer(trickling)) {
      MelangeServerClient client =
          new MelangeServerClient(
              server.url(), null, Duration.ofSeconds(2), MelangeServerClient.MAX_ANSWER);
      long start = System.nanoTime();

      assertThatThrownBy(() -> client.listBackends(null))
          .isInstanceOf(CliException.class)
          .hasMessage("listing backends: " + server.url() + " did not answer within 2s");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
  }

  @Test
  void readingNeedsNoTokenFileAndChangingReadsIt() throws Exception {
    Path missing = dir.resolve("no-such-token");
    try (MelangeServerApi api = Cli.serve(dir)) {
      String url = api.uri().toString();
      Run list = Cli.run("backends", "list", "--server", url, "--token-file", missing.toString());
      assertThat(list.exitCode()).isZero();
      assertThat(list.err()).isEmpty();
      Run status =
          Cli.run("backends", "status", "--server", url, "--token-file", missing.toString());
      assertThat(status.exitCode()).isZero();

      Run add =
          Cli.run(
              "backends",
              "add",
              "--server",
              url,
              "--addr",
              "tcp://b:1",
              "--arch",
              "x86_64",
              "--token-file",
              missing.toString());
      assertThat(add.exitCode()).isEqualTo(1);
      assertThat(add.err()).startsWith("Error: cannot read token file " + missing + ": ");
      assertThat(Cli.run("backends", "list", "--server", url).out()).doesNotContain("tcp://b:1");
    }
  }
}
