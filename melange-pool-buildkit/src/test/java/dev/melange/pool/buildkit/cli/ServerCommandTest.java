package dev.melange.pool.buildkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.buildkit.cli.Cli.LineWriter;
import dev.melange.pool.buildkit.cli.Cli.Run;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
  void reportsABadConfigurationWhereItIs() throws Exception {
    Path yaml = Files.writeString(dir.resolve("backends.yaml"), "backends:\n  - addr: tcp://a:1\n");

    Run run = Cli.run("server", "--backends-config", yaml.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("Error: " + yaml + ":").contains("arch is required");

    Run missing = Cli.run("server", "--backends-config", dir.resolve("nope.yaml").toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).startsWith("Error: " + dir.resolve("nope.yaml"));
  }

  @Test
  void servesUntilTheShutdownHookStopsIt() throws Exception {
    Path yaml = Files.writeString(dir.resolve("backends.yaml"), Cli.GUIDE_YAML);
    List<Thread> hooks = new CopyOnWriteArrayList<>();
    IFactory factory =
        new IFactory() {
          @Override
          public <K> K create(Class<K> type) throws Exception {
            return type == ServerCommand.class
                ? type.cast(new ServerCommand(hooks::add))
                : CommandLine.defaultFactory().create(type);
          }
        };
    LineWriter out = new LineWriter();
    AtomicReference<Run> result = new AtomicReference<>();
    Thread server =
        new Thread(
            () ->
                result.set(
                    Cli.run(
                        factory,
                        out,
                        "server",
                        "--backends-config",
                        yaml.toString(),
                        "--listen-addr",
                        "127.0.0.1:0")));
    server.start();

    String line = out.lines.poll(60, TimeUnit.SECONDS);
    assertThat(line)
        .matches(
            "melange-pool server listening on http://127\\.0\\.0\\.1:\\d+ \\(3 backends,"
                + " architectures \\[x86_64 aarch64]\\)");
    String url = line.substring("melange-pool server listening on ".length(), line.indexOf(" ("));
    assertThat(Cli.run("backends", "list", "--server", url).out())
        .startsWith("Available architectures: [x86_64 aarch64]\n");
    assertThat(hooks).hasSize(1);

    hooks.get(0).start(); // as the JVM does on Ctrl-C
    hooks.get(0).join(TimeUnit.SECONDS.toMillis(60));
    server.join(TimeUnit.SECONDS.toMillis(60));

    assertThat(server.isAlive()).isFalse();
    assertThat(result.get().exitCode()).isZero();
    assertThat(result.get().err()).isEmpty();
    Run after = Cli.run("backends", "list", "--server", url);
    assertThat(after.exitCode()).isEqualTo(1);
    assertThat(after.err()).contains("connection refused");
  }

  @Test
  void servesASingleDaemonOfTheDefaultArch() throws Exception {
    List<Thread> hooks = new CopyOnWriteArrayList<>();
    IFactory factory =
        new IFactory() {
          @Override
          public <K> K create(Class<K> type) throws Exception {
            return type == ServerCommand.class
                ? type.cast(new ServerCommand(hooks::add))
                : CommandLine.defaultFactory().create(type);
          }
        };
    LineWriter out = new LineWriter();
    Thread server =
        new Thread(
            () ->
                Cli.run(
                    factory,
                    out,
                    "server",
                    "--buildkit-addr",
                    "tcp://localhost:1234",
                    "--default-arch",
                    "aarch64",
                    "--listen-addr",
                    "127.0.0.1:0"));
    server.start();

    String line = out.lines.poll(60, TimeUnit.SECONDS);
    assertThat(line).endsWith(" (1 backend, architectures [aarch64])");
    hooks.get(0).start();
    hooks.get(0).join(TimeUnit.SECONDS.toMillis(60));
    server.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(server.isAlive()).isFalse();
  }

  @Test
  void printsItsVersionAndHelp() {
    Run version = Cli.run("--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.out()).startsWith("melange-pool ");

    Run help = Cli.run(CommandLine.defaultFactory(), new StringWriter(), "server", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("--backends-config=FILE", "--listen-addr=HOST:PORT");
  }
}
