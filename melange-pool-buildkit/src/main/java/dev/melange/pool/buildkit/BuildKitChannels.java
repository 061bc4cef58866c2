package dev.melange.pool.buildkit;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Makes the gRPC channel to one daemon. Channels to unix sockets share one epoll event loop (daemon
 * threads, made on first use); tcp channels use grpc's shared default. Keepalive pings go no more
 * often than every 5 minutes: buildkitd closes connections that ping more often ({@code
 * too_many_pings}). Over TLS, the server name (SNI, and the name checked in the daemon's
 * certificate) is the address's host unless the settings name another.
 */
final class BuildKitChannels {
  /** The shortest keepalive buildkitd accepts. */
  static final long KEEPALIVE_MINUTES = 5;

  private BuildKitChannels() {}

  /**
   * A new channel to {@code address}, over TLS when {@code tls} is given, else plaintext; it
   * connects on its first call.
   *
   * @throws IllegalArgumentException naming the backend and its files, when grpc cannot make a TLS
   *     context of them
   */
  static ManagedChannel open(BuildKitAddress address, @Nullable BuildKitTls tls) {
    ChannelCredentials credentials =
        tls == null ? InsecureChannelCredentials.create() : tls.credentials();
    NettyChannelBuilder builder;
    try {
      if (address.isUnix()) {
        builder =
            NettyChannelBuilder.forAddress(
                    new DomainSocketAddress(String.valueOf(address.path())), credentials)
                .eventLoopGroup(UnixLoop.GROUP)
                .channelType(EpollDomainSocketChannel.class);
      } else {
        builder =
            NettyChannelBuilder.forAddress(
                String.valueOf(address.host()), address.port(), credentials);
      }
    } catch (IllegalArgumentException e) {
      // grpc parses the PEM files here, and says what it could not read in an IAE.
      throw tls == null ? e : tls.unusable(e);
    }
    String serverName = tls == null ? null : tls.serverName();
    if (serverName != null) {
      builder.overrideAuthority(serverName);
    }
    return builder
        .keepAliveTime(KEEPALIVE_MINUTES, TimeUnit.MINUTES)
        .keepAliveWithoutCalls(false)
        .build();
  }

  /** The event loop of unix-socket channels, made on first use. */
  private static final class UnixLoop {
    static final EventLoopGroup GROUP =
        new MultiThreadIoEventLoopGroup(
            1,
            new DefaultThreadFactory("melange-buildkit-unix", true),
            EpollIoHandler.newFactory());
  }
}
