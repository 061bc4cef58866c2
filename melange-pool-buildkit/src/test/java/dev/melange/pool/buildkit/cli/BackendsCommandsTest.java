package dev.melange.pool.buildkit.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.buildkit.cli.Cli.Run;
import dev.melange.pool.buildkit.server.MelangeServerApi;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code backends list|add|remove|status} against a running server, output byte for byte. */
class BackendsCommandsTest {
  @TempDir Path dir;

  private MelangeServerApi api;
  private String server;

  @BeforeEach
  void serveTheGuidesPool() throws Exception {
    api = Cli.serve(dir);
    server = api.uri().toString();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  /** {@code backends <command> --server <the server> <args>}. */
  private Run backends(String command, String... args) {
    String[] line = new String[args.length + 4];
    line[0] = "backends";
    line[1] = command;
    line[2] = "--server";
    line[3] = server;
    System.arraycopy(args, 0, line, 4, args.length);
    return Cli.run(line);
  }

  @Test
  void listPrintsMelangesTableWithLabelsSorted() {
    Run run = backends("list");

    assertThat(run.exitCode()).isZero();
    assertThat(run.err()).isEmpty();
    // The guide's sample, but for the labels, which are sorted by key here.
    assertThat(run.out())
        .isEqualTo(
            """
            Available architectures: [x86_64 aarch64]

            ADDR                          ARCH      LABELS
            tcp://buildkit-x86:1234       x86_64    location=us-central1,tier=standard
            tcp://buildkit-arm:1234       aarch64   tier=standard
            tcp://buildkit-highmem:1234   x86_64    memory=64gi,tier=high-memory
            """);
  }

  @Test
  void listOfOneArchStillNamesEveryArchitecture() {
    Run run = backends("list", "--arch", "aarch64");

    assertThat(run.out())
        .isEqualTo(
            """
            Available architectures: [x86_64 aarch64]

            ADDR                      ARCH      LABELS
            tcp://buildkit-arm:1234   aarch64   tier=standard
            """);
  }

  @Test
  void listSaysSoWhenNothingMatches() {
    Run run = backends("list", "--arch", "riscv64");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("No backends found\n");
  }

  @Test
  void addPrintsTheBackendAndItsSortedLabels() {
    Run run =
        backends(
            "add",
            "--addr",
            "tcp://buildkit-special:1234",
            "--arch",
            "x86_64",
            "--label",
            "tier=high-memory",
            "--label",
            "sandbox=privileged,zone=b");

    assertThat(run.exitCode()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .isEqualTo(
            """
            Added backend: tcp://buildkit-special:1234 (arch: x86_64)
            Labels: sandbox=privileged, tier=high-memory, zone=b
            """);
    assertThat(backends("list").out())
        .endsWith(
            "tcp://buildkit-special:1234   x86_64    sandbox=privileged,tier=high-memory,zone=b\n");
  }

  @Test
  void addWithoutLabelsPrintsOneLineAndListShowsADash() {
    Run run = backends("add", "--addr", "tcp://buildkit:1234", "--arch", "aarch64");

    assertThat(run.out()).isEqualTo("Added backend: tcp://buildkit:1234 (arch: aarch64)\n");
    assertThat(backends("list", "--arch", "aarch64").out())
        .endsWith("tcp://buildkit:1234       aarch64   -\n");
  }

  @Test
  void addSetsMaxJobs() {
    Run run = backends("add", "--addr", "tcp://big:1234", "--arch", "x86_64", "--max-jobs", "16");

    assertThat(run.exitCode()).isZero();
    assertThat(backends("status").out())
        .contains("\ntcp://big:1234                x86_64    ready   healthy   closed    0/16 ");
  }

  @Test
  void addReportsTheServersRefusalOnStderr() {
    Run run = backends("add", "--addr", "tcp://buildkit-arm:1234", "--arch", "aarch64");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            "Error: adding backend: unexpected status 409: backend already exists:"
                + " tcp://buildkit-arm:1234\n");

    Run negative = backends("add", "--addr", "tcp://a:1", "--arch", "x86_64", "--max-jobs", "-1");
    assertThat(negative.err())
        .isEqualTo("Error: adding backend: unexpected status 400: maxJobs must be >= 0, was -1\n");
  }

  @Test
  void addRefusesABadCommandLineWithUsage() {
    Run noArch = backends("add", "--addr", "tcp://a:1");
    assertThat(noArch.exitCode()).isEqualTo(2);
    assertThat(noArch.err()).startsWith("Missing required option: '--arch=ARCH'\nUsage: ");

    Run badLabel = backends("add", "--addr", "tcp://a:1", "--arch", "x86_64", "--label", "tier");
    assertThat(badLabel.exitCode()).isEqualTo(2);
    assertThat(badLabel.err()).startsWith("label \"tier\": expected KEY=VALUE\nUsage: ");

    Run badMaxJobs = backends("add", "--addr", "tcp://a:1", "--arch", "x86_64", "--max-jobs", "x");
    assertThat(badMaxJobs.exitCode()).isEqualTo(2);
    assertThat(badMaxJobs.err())
        .startsWith("Invalid value for option '--max-jobs': 'x' is not an int");

    assertThat(backends("list").out()).doesNotContain("tcp://a:1");
  }

  @Test
  void removePrintsTheAddressOrTheServersRefusal() {
    Run run = backends("remove", "--addr", "tcp://buildkit-arm:1234");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("Removed backend: tcp://buildkit-arm:1234\n");

    Run unknown = backends("remove", "--addr", "tcp://nope:1");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err())
        .isEqualTo(
            "Error: removing backend: unexpected status 404: backend not found: tcp://nope:1\n");

    backends("remove", "--addr", "tcp://buildkit-x86:1234");
    Run last = backends("remove", "--addr", "tcp://buildkit-highmem:1234");
    assertThat(last.err())
        .isEqualTo(
            "Error: removing backend: unexpected status 400: cannot remove the last backend\n");
  }

  @Test
  void statusPrintsOneAlignedLinePerBackend() {
    Run run = backends("status");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .isEqualTo(
            """
            ADDR                          ARCH      STATE   HEALTH    CIRCUIT   ACTIVE/MAX   FAILURES   LAST FAILURE   PROBE
            tcp://buildkit-x86:1234       x86_64    ready   healthy   closed    0/4          0          -              -
            tcp://buildkit-arm:1234       aarch64   ready   healthy   closed    0/2          0          -              -
            tcp://buildkit-highmem:1234   x86_64    ready   healthy   closed    0/2          0          -              -
            """);
  }

  @Test
  void statusShowsLeasesCordonsAndFailures() throws Exception {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1234", "x86_64").withMaxJobs(2))
            .backend(Backend.of("tcp://b:1234", "x86_64").withMaxJobs(3))
            .failureThreshold(1)
            .build();
    try (MelangeServerApi other = Cli.serve(pool, null)) {
      // Least loaded: the first lease goes to a (a tie, to the earliest), the second to b.
      Lease held = pool.acquire("x86_64", Selector.any());
      Lease failed = pool.acquire("x86_64", Selector.any());
      assertThat(failed.backend().addr()).isEqualTo("tcp://b:1234");
      failed.recordFailure(new IOException("build failed"));
      failed.close();
      pool.cordon("tcp://b*");

      Run run = Cli.run("backends", "status", "--server", other.uri().toString());

      Matcher failure = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z").matcher(run.out());
      assertThat(failure.find()).isTrue();
      String at = failure.group();
      String pad = " ".repeat(at.length() - "LAST FAILURE".length());
      assertThat(run.out())
          .isEqualTo(
              "ADDR           ARCH     STATE      HEALTH    CIRCUIT   ACTIVE/MAX   FAILURES   LAST"
                  + " FAILURE"
                  + pad
                  + "   PROBE\n"
                  + "tcp://a:1234   x86_64   ready      healthy   closed    1/2          0          -"
                  + " ".repeat(at.length() - 1)
                  + "   -\n"
                  + "tcp://b:1234   x86_64   cordoned   healthy   open      0/3          1          "
                  + at
                  + "   -\n");
      held.close();
    }
  }

  @Test
  void anUnreachableServerIsAnErrorNamingIt() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String nobody = "http://127.0.0.1:" + port;

    Run run = Cli.run("backends", "list", "--server", nobody);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            "Error: listing backends: cannot connect to " + nobody + ": connection refused\n");
  }

  @Test
  void aServerThatIsNotAUrlIsAnError() {
    Run run = Cli.run("backends", "list", "--server", "localhost:8080");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "Error: --server localhost:8080: expected an http:// or https:// URL, e.g."
                + " http://localhost:8080\n");
  }

  @Test
  void theTokenFileAuthorizesChanges() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
    BackendPool pool = BackendPool.single("tcp://only:1234", null);
    try (MelangeServerApi guarded = Cli.serve(pool, token)) {
      String url = guarded.uri().toString();
      String[] add = {
        "backends", "add", "--server", url, "--addr", "tcp://b:1", "--arch", "x86_64"
      };

      Run refused = Cli.run(add);
      assertThat(refused.exitCode()).isEqualTo(1);
      assertThat(refused.err())
          .isEqualTo(
              "Error: adding backend: unexpected status 401: unauthorized: send Authorization:"
                  + " Bearer <token>\n");

      Run allowed =
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
              token.toString());
      assertThat(allowed.exitCode()).isZero();
      assertThat(Cli.run("backends", "list", "--server", url).exitCode()).isZero();

      Path empty = Files.writeString(dir.resolve("empty"), "");
      Run emptyToken =
          Cli.run(
              "backends",
              "remove",
              "--server",
              url,
              "--addr",
              "tcp://b:1",
              "--token-file",
              empty.toString());
      assertThat(emptyToken.err()).isEqualTo("Error: token file " + empty + " is empty\n");
    }
  }

  @Test
  void aTokenBeyondAsciiReachesTheServerAsItsUtf8Bytes() throws Exception {
    Path token =
        Files.write(dir.resolve("token"), "t\u00f6k\u00e9n-\u4ee4\u724c\n".getBytes(UTF_8));
    BackendPool pool = BackendPool.single("tcp://only:1234", null);
    try (MelangeServerApi guarded = Cli.serve(pool, token)) {
      String url = guarded.uri().toString();

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
              token.toString());

      assertThat(add.err()).isEmpty();
      assertThat(add.exitCode()).isZero();
      Run remove =
          Cli.run(
              "backends",
              "remove",
              "--server",
              url,
              "--addr",
              "tcp://b:1",
              "--token-file",
              token.toString());
      assertThat(remove.exitCode()).isZero();
    }
  }

  @Test
  void aTokenFileThatIsADeviceIsAnErrorBeforeAnythingIsSent() {
    assertThat(Files.exists(Path.of("/dev/zero"))).as("no /dev/zero here").isTrue();

    Run run =
        backends("add", "--addr", "tcp://b:1", "--arch", "x86_64", "--token-file", "/dev/zero");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "Error: token file /dev/zero is not a regular file (a device, a pipe or a socket)\n");
    assertThat(backends("list").out()).doesNotContain("tcp://b:1");
  }

  @Test
  void backendsWithoutACommandShowsUsage() {
    Run run = Cli.run("backends");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("Missing required subcommand\nUsage: melange-pool backends");
  }
}
