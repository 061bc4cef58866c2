package dev.melange.pool.buildkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.BackendPool;
import dev.melange.pool.buildkit.cli.Cli.LineWriter;
import dev.melange.pool.buildkit.cli.Cli.Run;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.IFactory;

/** {@code server}: its arguments, and a run from start to the shutdown hook. */
class ServerCommandTest {
  @TempDir Path dir;

  @Test
  void needsAPoolSource() {
    Run run = Cli.run("server");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .startsWith(
            "Error: Missing required argument (specify one of these): (--backends-config=FILE |"
                + " --buildkit-addr=ADDR)\nUsage: melange-pool server");
  }

  @Test
  void takesOnlyOnePoolSource() {
    Run run =
        Cli.run("server", "--backends-config", "backends.yaml", "--buildkit-addr", "tcp://a:1");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .startsWith(
            "Error: --backends-config=FILE, --buildkit-addr=ADDR are mutually exclusive (specify"
                + " only one)\n");
  }

  @Test
  void refusesToListenBeyondLoopbackWithoutAToken() {
    Run run = Cli.run("server", "--buildkit-addr", "tcp://a:1234", "--listen-addr", "0.0.0.0:0");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .startsWith("Error: refusing to listen on 0.0.0.0:0 without a token")
        .contains("--token-file")
        .endsWith("\n");
  }

  @Test
  void reportsABadListenAddress() {
    Run run = Cli.run("server", "--buildkit-addr", "tcp://a:1234", "--listen-addr", "8080");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("Error: listen address \"8080\": expected host:port, e.g. 127.0.0.1:8080\n");
  }

  @Test
  void aTokenFileThatIsADeviceIsAnErrorNotAStackTrace() {
    assertThat(Files.exists(Path.of("/dev/zero"))).as("no /dev/zero here").isTrue();

    Run run =
        Cli.run(
            "server",
            "--buildkit-addr",
            "tcp://a:1234",
            "--listen-addr",
            "127.0.0.1:0",
            "--token-file",
            "/dev/zero");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            "Error: token file /dev/zero is not a regular file (a device, a pipe or a socket)\n");
  }

  @Test
  void reportsABadConfigurationWhereItIs() throws Exception {
    Path yaml = Files.writeString(dir.resolve("backends.yaml"), "backends:\n  - addr: tcp://a:1\n");

    Run run = Cli.run("server", "--backends-config", yaml.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("Error: " + yaml + ":").contains("arch is required");

    Run missing = Cli.run("server", "--backends-config", dir.resolve("nope.yaml").toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).startsWith("Error: " + dir.resolve("nope.yaml"));
  }

  /**
   * A {@code server} command run on its own thread, its shutdown hook kept rather than registered.
   */
  private static final class RunningServer {
    final List<Thread> hooks = new CopyOnWriteArrayList<>();
    final LineWriter out = new LineWriter();
    final AtomicReference<Run> result = new AtomicReference<>();
    final Thread thread;

    RunningServer(String... args) {
      this(UnaryOperator.identity(), args);
    }

    /** Serves the pool the command line builds as {@code pools} makes it. */
    RunningServer(UnaryOperator<BackendPool> pools, String... args) {
      IFactory factory =
          new IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
              return type == ServerCommand.class
                  ? type.cast(new ServerCommand(hooks::add, pools))
                  : CommandLine.defaultFactory().create(type);
            }
          };
      thread = new Thread(() -> result.set(Cli.run(factory, out, args)));
      thread.start();
    }

    /** The line it prints once it listens. */
    String firstLine() throws InterruptedException {
      return out.lines.poll(60, TimeUnit.SECONDS);
    }

    /** Runs its shutdown hook, as the JVM does on Ctrl-C, and waits for the command to end. */
    Run stop() throws InterruptedException {
      assertThat(hooks).hasSize(1);
      hooks.get(0).start();
      hooks.get(0).join(TimeUnit.SECONDS.toMillis(60));
      thread.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(thread.isAlive()).isFalse();
      return result.get();
    }
  }

  @Test
  void servesUntilTheShutdownHookStopsIt() throws Exception {
    Path yaml = Files.writeString(dir.resolve("backends.yaml"), Cli.GUIDE_YAML);
    RunningServer server =
        new RunningServer(
            "server", "--backends-config", yaml.toString(), "--listen-addr", "127.0.0.1:0");

    String line = server.firstLine();
    assertThat(line)
        .matches(
            "melange-pool server listening on http://127\\.0\\.0\\.1:\\d+ \\(3 backends,"
                + " architectures \\[x86_64 aarch64]\\)");
    String url = line.substring("melange-pool server listening on ".length(), line.indexOf(" ("));
    assertThat(Cli.run("backends", "list", "--server", url).out())
        .startsWith("Available architectures: [x86_64 aarch64]\n");

    Run result = server.stop();

    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    Run after = Cli.run("backends", "list", "--server", url);
    assertThat(after.exitCode()).isEqualTo(1);
    assertThat(after.err()).contains("connection refused");
  }

  @Test
  void servesASingleDaemonOfTheDefaultArch() throws Exception {
    RunningServer server =
        new RunningServer(
            "server",
            "--buildkit-addr",
            "tcp://localhost:1234",
            "--default-arch",
            "aarch64",
            "--listen-addr",
            "127.0.0.1:0");

    assertThat(server.firstLine()).endsWith(" (1 backend, architectures [aarch64])");
    assertThat(server.stop().exitCode()).isZero();
  }

  @Test
  void aServerThatFailsOnItsOwnEndsTheCommandWithAnError() throws Exception {
    // A pool whose status() runs out of memory, as 16 readers of a huge status once made it.
    UnaryOperator<BackendPool> failingStatus =
        real ->
            (BackendPool)
                Proxy.newProxyInstance(
                    BackendPool.class.getClassLoader(),
                    new Class<?>[] {BackendPool.class},
                    (proxy, method, args) -> {
                      if (method.getName().equals("status")) {
                        throw new OutOfMemoryError("Java heap space (thrown by the test)");
                      }
                      try {
                        return method.invoke(real, args);
                      } catch (InvocationTargetException e) {
                        throw e.getCause();
                      }
                    });
    RunningServer server =
        new RunningServer(
            failingStatus,
            "server",
            "--buildkit-addr",
            "tcp://localhost:1234",
            "--listen-addr",
            "127.0.0.1:0");
    String line = server.firstLine();
    String url = line.substring("melange-pool server listening on ".length(), line.indexOf(" ("));

    Run status = Cli.run("backends", "status", "--server", url);

    assertThat(status.exitCode()).isEqualTo(1);
    server.thread.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(server.thread.isAlive()).isFalse();
    assertThat(server.result.get().exitCode()).isEqualTo(1);
    assertThat(server.result.get().err())
        .isEqualTo(
            "Error: the HTTP server stopped: java.lang.OutOfMemoryError: Java heap space (thrown by"
                + " the test)\n");
    assertThat(Cli.run("backends", "list", "--server", url).err()).contains("connection refused");
  }

  @Test
  void takesTheServersLimits() throws Exception {
    RunningServer server =
        new RunningServer(
            "server",
            "--buildkit-addr",
            "tcp://localhost:1234",
            "--listen-addr",
            "127.0.0.1:0",
            "--read-timeout",
            "1m30s",
            "--idle-timeout",
            "500ms",
            "--write-timeout",
            "2s",
            "--max-connections",
            "3",
            "--max-backends",
            "1");
    String line = server.firstLine();
    assertThat(line).startsWith("melange-pool server listening on ");
    String url = line.substring("melange-pool server listening on ".length(), line.indexOf(" ("));
    Run add =
        Cli.run("backends", "add", "--server", url, "--addr", "tcp://b:1", "--arch", "x86_64");
    assertThat(add.err())
        .isEqualTo(
            "Error: adding backend: unexpected status 409: cannot add backend: the pool holds 1"
                + " backend, this server's limit is 1\n");
    assertThat(server.stop().exitCode()).isZero();

    Run badDuration =
        Cli.run("server", "--buildkit-addr", "tcp://a:1", "--read-timeout", "10 seconds");
    assertThat(badDuration.exitCode()).isEqualTo(2);
    assertThat(badDuration.err())
        .startsWith(
            "Invalid value for option '--read-timeout': '10 seconds' is not a duration: write it as"
                + " Go does, e.g. 10s, 500ms or 1m30s");
    Run zero = Cli.run("server", "--buildkit-addr", "tcp://a:1", "--max-connections", "0");
    assertThat(zero.exitCode()).isEqualTo(1);
    assertThat(zero.err()).isEqualTo("Error: maxConnections must be > 0, was 0\n");
  }

  @Test
  void printsItsVersionAndHelp() {
    Run version = Cli.run("--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out()).startsWith("melange-pool ");

    Run help = Cli.run(CommandLine.defaultFactory(), new StringWriter(), "server", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out())
        .contains(
            "--backends-config=FILE",
            "--listen-addr=HOST:PORT",
            "--read-timeout=DURATION",
            "--write-timeout=DURATION",
            "--idle-timeout=DURATION",
            "--max-connections=N",
            "--max-backends=N",
            "(default: 10s); a slower head closes the connection,",
            "(default: 512)");
  }

  @Test
  void noHelpCutsADefaultInTwo() {
    for (String[] command :
        new String[][] {
          {"--help"},
          {"server", "--help"},
          {"backends", "--help"},
          {"backends", "list", "--help"},
          {"backends", "add", "--help"},
          {"backends", "remove", "--help"},
          {"backends", "status", "--help"},
        }) {
      Run help = Cli.run(command);

      assertThat(help.exitCode()).isZero();
      List<String> lines = help.out().lines().toList();
      // Where descriptions start; picocli goes on with a description it had to wrap two further.
      int column =
          lines.stream()
              .filter(line -> line.contains("Show this help message and exit."))
              .findFirst()
              .orElseThrow()
              .indexOf("Show this help");
      String wrapped = " ".repeat(column + 2) + "\\S.*";
      for (String line : lines) {
        assertThat(line).as(String.join(" ", command)).doesNotEndWith("(default:");
        assertThat(line).as(String.join(" ", command)).doesNotMatch(wrapped);
      }
    }
    assertThat(Cli.run("backends", "add", "--help").out())
        .contains("(default: $MELANGE_POOL_TOKEN_FILE)");
  }
}
