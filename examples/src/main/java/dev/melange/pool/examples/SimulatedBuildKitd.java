package dev.melange.pool.examples;

import dev.melange.pool.buildkit.proto.BuildkitVersion;
import dev.melange.pool.buildkit.proto.ControlGrpc;
import dev.melange.pool.buildkit.proto.InfoRequest;
import dev.melange.pool.buildkit.proto.InfoResponse;
import dev.melange.pool.buildkit.proto.ListWorkersRequest;
import dev.melange.pool.buildkit.proto.ListWorkersResponse;
import dev.melange.pool.buildkit.proto.Platform;
import dev.melange.pool.buildkit.proto.WorkerRecord;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A BuildKit daemon, simulated. What the pool sees is real: a gRPC server on 127.0.0.1 that answers
 * BuildKit's {@code grpc.health.v1.Health/Check}, {@code Control/ListWorkers} and {@code
 * Control/Info} as buildkitd does, so the pool's {@code buildkit} health check learns its platforms
 * over the wire. What the demo's build scheduler sees is simulated: {@link #build} takes as long as
 * the package would, slower under emulation, and sometimes fails.
 *
 * <p>{@link #kill} stops the server at once and fails the builds it was running; {@link #start}
 * brings it back on the same port.
 */
final class SimulatedBuildKitd implements AutoCloseable {
  /** How much slower a build runs under QEMU emulation than natively. */
  static final double EMULATION_SLOWDOWN = 3.0;

  private final String host;
  private final int port;
  private final List<String> platforms;
  private final double slowdown;
  private final double failureRate;

  private final Object lock = new Object();
  private @Nullable Server server; // guarded by lock

  /** Counted down when the daemon dies: the builds it is running fail. Replaced on each start. */
  private volatile CountDownLatch dead = new CountDownLatch(0);

  /**
   * @param host the machine's name, for messages
   * @param port the loopback port it listens on
   * @param platforms its worker's platforms as BuildKit names them, the native one first, then the
   *     ones it emulates
   * @param slowdown how much slower than nominal its builds run (1.0 nominal)
   * @param failureRate the share of builds that fail on it, 0 to 1
   */
  SimulatedBuildKitd(
      String host, int port, List<String> platforms, double slowdown, double failureRate) {
    this.host = host;
    this.port = port;
    this.platforms = List.copyOf(platforms);
    this.slowdown = slowdown;
    this.failureRate = failureRate;
  }

  String host() {
    return host;
  }

  /** The melange arch it builds for natively: {@code x86_64} for {@code linux/amd64}, … */
  String nativeArch() {
    return melangeArch(platforms.get(0));
  }

  private static String melangeArch(String platform) {
    String architecture = platform.split("/", -1)[1];
    return switch (architecture) {
      case "amd64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> architecture;
    };
  }

  boolean isUp() {
    synchronized (lock) {
      return server != null;
    }
  }

  /**
   * Starts serving on its port.
   *
   * @throws UncheckedIOException when the port is taken
   */
  void start() {
    synchronized (lock) {
      if (server != null) {
        return;
      }
      HealthStatusManager health = new HealthStatusManager(); // "" is SERVING
      try {
        server =
            NettyServerBuilder.forAddress(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    InsecureServerCredentials.create())
                // A restarted daemon binds its port again at once, as buildkitd would.
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .addService(health.getHealthService())
                .addService(new Control())
                .build()
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException(
            host + ": cannot listen on 127.0.0.1:" + port + " (is another program using it?)", e);
      }
      dead = new CountDownLatch(1);
    }
  }

  /** Stops serving at once, as a crashed daemon does: the builds it runs fail. */
  void kill() {
    synchronized (lock) {
      if (server == null) {
        return;
      }
      dead.countDown();
      server.shutdownNow();
      awaitTermination(server);
      server = null;
    }
  }

  @Override
  public void close() {
    kill();
  }

  private static void awaitTermination(Server server) {
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Builds a package: blocks for as long as the build takes here.
   *
   * @param arch the arch the package is built for; slower when this daemon emulates it
   * @param nominal how long the build takes on a nominal machine, natively
   * @throws BuildFailedException when the daemon is down, dies during the build, or the build fails
   *     on it
   * @throws InterruptedException when interrupted
   */
  void build(String arch, Duration nominal) throws BuildFailedException, InterruptedException {
    CountDownLatch died = dead;
    if (died.getCount() == 0) {
      throw new BuildFailedException(host + ": connection refused");
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    double factor = slowdown * (arch.equals(nativeArch()) ? 1 : EMULATION_SLOWDOWN);
    boolean fails = random.nextDouble() < failureRate;
    if (fails) {
      factor *= random.nextDouble(0.1, 0.9); // it fails part of the way through
    }
    long nanos = (long) (nominal.toNanos() * factor);
    if (died.await(nanos, TimeUnit.NANOSECONDS)) {
      throw new BuildFailedException(host + ": connection lost: the daemon stopped");
    }
    if (fails) {
      throw new BuildFailedException(host + ": " + FLAKES.get(random.nextInt(FLAKES.size())));
    }
  }

  private static final List<String> FLAKES =
      List.of(
          "failed to compute cache key: no space left on device",
          "worker lost: executor process exited",
          "failed to fetch source: connection reset by peer");

  /** A build that failed because of the daemon it ran on: worth retrying elsewhere. */
  static final class BuildFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    BuildFailedException(String message) {
      super(message, null, false, false);
    }
  }

  /** BuildKit's control service, as much of it as the pool's probe calls. */
  private final class Control extends ControlGrpc.ControlImplBase {
    @Override
    public void listWorkers(
        ListWorkersRequest request, StreamObserver<ListWorkersResponse> response) {
      WorkerRecord.Builder worker = WorkerRecord.newBuilder().setID(host + "-oci-worker");
      for (String platform : platforms) {
        String[] parts = platform.split("/", -1);
        Platform.Builder built = Platform.newBuilder().setOS(parts[0]).setArchitecture(parts[1]);
        if (parts.length > 2) {
          built.setVariant(parts[2]);
        }
        worker.addPlatforms(built);
      }
      response.onNext(ListWorkersResponse.newBuilder().addRecord(worker).build());
      response.onCompleted();
    }

    @Override
    public void info(InfoRequest request, StreamObserver<InfoResponse> response) {
      response.onNext(
          InfoResponse.newBuilder()
              .setBuildkitVersion(
                  BuildkitVersion.newBuilder()
                      .setPackage("github.com/moby/buildkit")
                      .setVersion("v0.17.3")
                      .setRevision("simulated"))
              .build());
      response.onCompleted();
    }
  }
}
