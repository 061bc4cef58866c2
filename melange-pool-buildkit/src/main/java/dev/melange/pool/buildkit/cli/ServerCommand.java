package dev.melange.pool.buildkit.cli;

import dev.melange.pool.BackendPool;
import dev.melange.pool.buildkit.server.MelangeServerApi;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code server}: builds the pool as melange-server does (a {@code backends.yaml}, or one daemon)
 * and serves it until the JVM is stopped; the stop (Ctrl-C, SIGTERM) stops the HTTP server, then
 * closes the pool.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = {
      "Serve a pool of BuildKit backends over melange-server's HTTP API until stopped.",
      "Give exactly one of --backends-config and --buildkit-addr."
    })
final class ServerCommand implements Callable<Integer> {

  @ArgGroup(exclusive = true, multiplicity = "1")
  @SuppressWarnings("NullAway.Init")
  PoolSource source;

  /** Where the pool comes from: exactly one of the two. */
  static final class PoolSource {
    @Option(
        names = "--backends-config",
        required = true,
        paramLabel = "FILE",
        description = "the pool's YAML file (melange-server's backends.yaml format)")
    @Nullable Path backendsConfig;

    @Option(
        names = "--buildkit-addr",
        required = true,
        paramLabel = "ADDR",
        description = "a single BuildKit daemon, e.g. tcp://localhost:1234")
    @Nullable String buildkitAddr;
  }

  @Option(
      names = "--default-arch",
      paramLabel = "ARCH",
      defaultValue = "x86_64",
      description = "architecture of the --buildkit-addr daemon (default: ${DEFAULT-VALUE})")
  String defaultArch = "x86_64";

  @Option(
      names = "--listen-addr",
      paramLabel = "HOST:PORT",
      defaultValue = MelangeServerApi.DEFAULT_LISTEN_ADDRESS,
      description = {
        "where to serve the API (default: ${DEFAULT-VALUE});",
        "every interface with :PORT. Beyond loopback, needs --token-file."
      })
  String listenAddr = MelangeServerApi.DEFAULT_LISTEN_ADDRESS;

  // Descriptions are given line by line, each short enough not to be wrapped, so that a
  // "(default: ...)" is never cut in two.

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = {
        "file holding the bearer token that adding, removing,",
        "cordoning and draining need"
      })
  @Nullable Path tokenFile;

  @Option(
      names = "--read-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = GoDurationConverter.class,
      description = {
        "how long a request's head, then its body, may take to arrive",
        "(default: ${DEFAULT-VALUE}); a slower head closes the connection,",
        "a slower body is answered 408"
      })
  Duration readTimeout = MelangeServerApi.DEFAULT_READ_TIMEOUT;

  @Option(
      names = "--write-timeout",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = GoDurationConverter.class,
      description = {
        "how long writing one answer may take (default: ${DEFAULT-VALUE});",
        "a client that does not read it in time is cut off"
      })
  Duration writeTimeout = MelangeServerApi.DEFAULT_WRITE_TIMEOUT;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = GoDurationConverter.class,
      description = "how long a connection may stay silent (default: ${DEFAULT-VALUE})")
  Duration idleTimeout = MelangeServerApi.DEFAULT_IDLE_TIMEOUT;

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      defaultValue = "256",
      description = "most connections open at once (default: ${DEFAULT-VALUE})")
  int maxConnections = MelangeServerApi.DEFAULT_MAX_CONNECTIONS;

  @Option(
      names = "--max-backends",
      paramLabel = "N",
      defaultValue = "512",
      description = {
        "most backends the pool may hold for the API to add one",
        "(default: ${DEFAULT-VALUE}); the file's backends are not refused"
      })
  int maxBackends = MelangeServerApi.DEFAULT_MAX_BACKENDS;

  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  private final Consumer<Thread> shutdownHooks;
  private final UnaryOperator<BackendPool> pools;

  ServerCommand() {
    this(Runtime.getRuntime()::addShutdownHook, UnaryOperator.identity());
  }

  /**
   * @param shutdownHooks registers the thread that stops the server when the JVM stops
   * @param pools what the pool built from the command line is served as (tests wrap it)
   */
  ServerCommand(Consumer<Thread> shutdownHooks, UnaryOperator<BackendPool> pools) {
    this.shutdownHooks = shutdownHooks;
    this.pools = pools;
  }

  /**
   * Serves until the shutdown hook closes the server (0), or until the server fails on its own (an
   * error such as running out of memory), which ends the command with that error (1) rather than
   * leaving a process that listens and answers nobody.
   */
  @Override
  public Integer call() throws InterruptedException {
    BackendPool pool =
        pools.apply(
            source.backendsConfig != null
                ? BackendPool.fromYaml(source.backendsConfig)
                : BackendPool.single(Objects.requireNonNull(source.buildkitAddr), defaultArch));
    MelangeServerApi api;
    try {
      api =
          MelangeServerApi.builder(pool)
              .listenAddress(listenAddr)
              .tokenFile(tokenFile)
              .readTimeout(readTimeout)
              .writeTimeout(writeTimeout)
              .idleTimeout(idleTimeout)
              .maxConnections(maxConnections)
              .maxBackends(maxBackends)
              .closePoolOnClose(true)
              .build()
              .start();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    CompletableFuture<Void> stopped = api.whenStopped().toCompletableFuture();
    // The HTTP server first, then the pool; close() completes whenStopped normally.
    shutdownHooks.accept(new Thread(api::close, "melange-pool-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "melange-pool server listening on "
            + api.uri()
            + " ("
            + pool.backends().size()
            + (pool.backends().size() == 1 ? " backend" : " backends")
            + ", architectures "
            + MelangeOutput.goList(pool.architectures())
            + ")");
    out.flush();
    try {
      stopped.get();
    } catch (ExecutionException e) {
      api.close();
      throw new IllegalStateException("the HTTP server stopped: " + e.getCause(), e.getCause());
    }
    return 0;
  }
}
