package dev.melange.pool.buildkit;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Makes the gRPC channel to one daemon. Channels to unix sockets share one epoll event loop (daemon
 * threads, made on first use); tcp channels use grpc's shared default. Keepalive pings go no more
 * often than every 5 minutes: buildkitd closes connections that ping more often ({@code
 * too_many_pings}).
 */
final class BuildKitChannels {
  /** The shortest keepalive buildkitd accepts. */
  static final long KEEPALIVE_MINUTES = 5;

  private BuildKitChannels() {}

  /** A new channel to {@code address}; it connects on its first call. */
  static ManagedChannel open(BuildKitAddress address) {
    NettyChannelBuilder builder;
    if (address.isUnix()) {
      builder =
          NettyChannelBuilder.forAddress(new DomainSocketAddress(String.valueOf(address.path())))
              .eventLoopGroup(UnixLoop.GROUP)
              .channelType(EpollDomainSocketChannel.class);
    } else {
      builder = NettyChannelBuilder.forAddress(String.valueOf(address.host()), address.port());
    }
    return builder
        .usePlaintext()
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
