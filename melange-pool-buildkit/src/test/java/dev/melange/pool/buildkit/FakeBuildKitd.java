package dev.melange.pool.buildkit;

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
import io.grpc.ServerCredentials;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Test helper: a gRPC server that answers as buildkitd does, with BuildKit's Health and Control
 * services from our .proto, on 127.0.0.1 or a unix socket. Its workers and health can change while
 * it runs; it can leave Health out, as daemons before v0.13 do.
 */
final class FakeBuildKitd implements AutoCloseable {
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final List<List<String>> workers = new CopyOnWriteArrayList<>();
  private final String addr;
  private final @Nullable EventLoopGroup loop;
  private volatile String version = "v0.13.2";
  private volatile boolean infoAnswers = true;
  private final AtomicInteger infoCalls = new AtomicInteger();

  /** Info calls left unanswered: held, so that only the caller's deadline ends them. */
  private final List<StreamObserver<InfoResponse>> unanswered = new CopyOnWriteArrayList<>();

  private FakeBuildKitd(boolean withHealth, @Nullable Path unixSocket) throws IOException {
    this(withHealth, unixSocket, InsecureServerCredentials.create(), 0);
  }

  private FakeBuildKitd(
      boolean withHealth, @Nullable Path unixSocket, ServerCredentials credentials, int port)
      throws IOException {
    NettyServerBuilder builder;
    if (unixSocket == null) {
      builder =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), port), credentials)
              // A daemon started again binds its port again, past the old connections' TIME_WAIT.
              .withOption(ChannelOption.SO_REUSEADDR, true);
      loop = null;
    } else {
      loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      builder =
          NettyServerBuilder.forAddress(new DomainSocketAddress(unixSocket.toString()), credentials)
              .channelType(EpollServerDomainSocketChannel.class)
              // As the probe's unix channels do: no SO_KEEPALIVE, which a unix socket lacks.
              .withChildOption(ChannelOption.SO_KEEPALIVE, null)
              .bossEventLoopGroup(loop)
              .workerEventLoopGroup(loop);
    }
    builder.addService(new Control());
    if (withHealth) {
      builder.addService(health.getHealthService());
    }
    server = builder.build().start();
    addr =
        unixSocket == null
            ? "tcp://127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort()
            : "unix://" + unixSocket;
  }

  /** A daemon on 127.0.0.1 with Health. */
  static FakeBuildKitd tcp() throws IOException {
    return new FakeBuildKitd(true, null);
  }

  /** A daemon on 127.0.0.1 with Health, on this port: one started again where another was. */
  static FakeBuildKitd tcp(int port) throws IOException {
    return new FakeBuildKitd(true, null, InsecureServerCredentials.create(), port);
  }

  /** A daemon on 127.0.0.1 without Health, as before BuildKit v0.13. */
  static FakeBuildKitd withoutHealth() throws IOException {
    return new FakeBuildKitd(false, null);
  }

  /** A daemon on a unix socket. */
  static FakeBuildKitd unix(Path socket) throws IOException {
    return new FakeBuildKitd(true, socket);
  }

  /** A daemon on 127.0.0.1 that serves TLS ({@link TestCertificates#serving}). */
  static FakeBuildKitd tls(ServerCredentials credentials) throws IOException {
    return new FakeBuildKitd(true, null, credentials, 0);
  }

  String addr() {
    return addr;
  }

  /** Adds a worker with these platforms, as {@code os/arch[/variant]}, the native one first. */
  FakeBuildKitd worker(String... platforms) {
    workers.add(List.of(platforms));
    return this;
  }

  void noWorkers() {
    workers.clear();
  }

  /** Replaces the workers with one of these platforms, the native one first. */
  void onlyWorker(String... platforms) {
    workers.clear();
    worker(platforms);
  }

  /** The version {@code Info} answers. */
  FakeBuildKitd version(String version) {
    this.version = version;
    return this;
  }

  /**
   * {@code Info} never answers from now on (a daemon whose controller hangs): the calls stay open
   * until the caller gives up.
   */
  FakeBuildKitd infoNeverAnswers() {
    infoAnswers = false;
    return this;
  }

  /** How often {@code Info} was asked. */
  int infoCalls() {
    return infoCalls.get();
  }

  void serving(boolean serving) {
    health.setStatus(
        "",
        serving
            ? HealthCheckResponse.ServingStatus.SERVING
            : HealthCheckResponse.ServingStatus.NOT_SERVING);
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (loop != null) {
      boolean unused = loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
    }
  }

  private final class Control extends ControlGrpc.ControlImplBase {
    @Override
    public void listWorkers(
        ListWorkersRequest request, StreamObserver<ListWorkersResponse> response) {
      ListWorkersResponse.Builder answer = ListWorkersResponse.newBuilder();
      int id = 0;
      for (List<String> platforms : workers) {
        WorkerRecord.Builder worker = WorkerRecord.newBuilder().setID("worker" + id++);
        for (String platform : platforms) {
          String[] parts = platform.split("/", -1);
          Platform.Builder built = Platform.newBuilder().setOS(parts[0]).setArchitecture(parts[1]);
          if (parts.length > 2) {
            built.setVariant(parts[2]);
          }
          worker.addPlatforms(built);
        }
        answer.addRecord(worker);
      }
      response.onNext(answer.build());
      response.onCompleted();
    }

    @Override
    public void info(InfoRequest request, StreamObserver<InfoResponse> response) {
      infoCalls.incrementAndGet();
      if (!infoAnswers) {
        unanswered.add(response);
        return;
      }
      response.onNext(
          InfoResponse.newBuilder()
              .setBuildkitVersion(
                  BuildkitVersion.newBuilder()
                      .setPackage("github.com/moby/buildkit")
                      .setVersion(version)
                      .setRevision("fake"))
              .build());
      response.onCompleted();
    }
  }
}
