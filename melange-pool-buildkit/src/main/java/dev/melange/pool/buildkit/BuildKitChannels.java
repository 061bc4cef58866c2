package dev.melange.pool.buildkit;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Makes the gRPC channel to one daemon. Channels to unix sockets share one epoll event loop (daemon
 * threads, made on first use); tcp channels use grpc's shared default. Keepalive pings go no more
 * often than every 5 minutes: buildkitd closes connections that ping more often ({@code
 * too_many_pings}). Over TLS, the server name (SNI, and the name checked in the daemon's
 * certificate) is the address's host unless the settings name another.
 *
 * <p>A tcp channel goes to one IP address, which the caller resolved: grpc never resolves a name
 * for us. Its resolver logs every failed lookup at WARNING, with the lookup's stack trace, on a
 * {@code java.util.logging} logger of its own ({@code io.grpc.internal.ManagedChannelImpl}), which
 * an application that embeds the probe would print at every check of a name that does not resolve.
 */
final class BuildKitChannels {
  /** The shortest keepalive buildkitd accepts. */
  static final long KEEPALIVE_MINUTES = 5;

  private BuildKitChannels() {}

  /**
   * A new channel to {@code address} (its tcp host resolved to {@code ip}; null for unix), over TLS
   * when {@code tls} is given, else plaintext; it connects on its first call.
   *
   * @throws IllegalArgumentException naming the backend and its files, when grpc cannot make a TLS
   *     context of them
   */
  static ManagedChannel open(
      BuildKitAddress address, @Nullable InetAddress ip, @Nullable BuildKitTls tls) {
    NettyChannelBuilder builder;
    if (address.isUnix()) {
      builder =
          builder(new DomainSocketAddress(String.valueOf(address.path())), tls)
              .eventLoopGroup(UnixLoop.GROUP)
              .channelType(EpollDomainSocketChannel.class)
              // grpc sets SO_KEEPALIVE on every connection, and netty logs a WARNING through
              // java.util.logging on each one to a socket that has no such option; a null value
              // takes grpc's setting off again (grpc applies ours after its own).
              .withOption(ChannelOption.SO_KEEPALIVE, null);
    } else {
      if (ip == null) {
        throw new IllegalArgumentException("a tcp channel needs its host's IP address: " + address);
      }
      String serverName = tls == null ? null : tls.serverName();
      builder =
          builder(new InetSocketAddress(ip, address.port()), tls)
              // The host as configured, not the IP it resolved to: what TLS checks and sends.
              .overrideAuthority(serverName != null ? serverName : address.authority());
    }
    return builder
        .keepAliveTime(KEEPALIVE_MINUTES, TimeUnit.MINUTES)
        .keepAliveWithoutCalls(false)
        .build();
  }

  /**
   * Checks now that grpc can make a TLS context of {@code tls}, for a channel that is made later
   * (once its host name resolves).
   *
   * @throws IllegalArgumentException naming the backend and its files, when it cannot
   */
  static void checkUsable(BuildKitAddress address, BuildKitTls tls) {
    NettyChannelBuilder unused =
        builder(
            InetSocketAddress.createUnresolved(String.valueOf(address.host()), address.port()),
            tls);
  }

  private static NettyChannelBuilder builder(SocketAddress target, @Nullable BuildKitTls tls) {
    ChannelCredentials credentials =
        tls == null ? InsecureChannelCredentials.create() : tls.credentials();
    try {
      return NettyChannelBuilder.forAddress(target, credentials);
    } catch (IllegalArgumentException e) {
      // grpc parses the PEM files here, and says what it could not read in an IAE.
      throw tls == null ? e : tls.unusable(e);
    }
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
