package dev.melange.pool.buildkit;

import dev.melange.pool.buildkit.proto.ControlGrpc;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A probe's way to its daemon: the gRPC channel to call on. A unix socket or an IP address has one
 * channel for the probe's life. A host name is resolved here, not by grpc, so that a name that does
 * not resolve fails the check with {@code unknown host <name>} and nothing else: grpc's own
 * resolver would log each failure at WARNING with a stack trace ({@link BuildKitChannels}).
 *
 * <p>Names: a check whose channel is not connected looks the name up first (a lookup blocks, and a
 * dead name server must not stall the pool's health scheduler, so it runs on at most {@value
 * #LOOKUP_THREADS} threads of this class's own, which end after a minute idle; a check that comes
 * while a lookup is in flight waits for that one). The JDK caches answers (30 s, failures 10 s, by
 * default), so most lookups return at once. The channel goes to one of the addresses found: it is
 * kept while its address is still among them, and moves to the next one when it cannot connect
 * there (so a name with several addresses is tried at each in turn, a check at a time), or to the
 * first when its own is gone; the old channel is shut down.
 *
 * <p>Thread-safety: safe for concurrent use. Which channel is current, the lookup in flight and
 * whether the connection is closed are guarded by {@code this}; a lookup runs, and a channel's
 * calls start, outside that lock.
 */
final class BuildKitConnection implements AutoCloseable {
  /** At most this many lookups run at once, for every probe in the JVM. */
  static final int LOOKUP_THREADS = 2;

  /** The JDK's resolver (and its cache). */
  static final Lookup JDK_LOOKUP = host -> List.of(InetAddress.getAllByName(host));

  private final BuildKitAddress address;
  private final @Nullable BuildKitTls tls;
  private final Lookup lookups;

  /** Whether {@link #address} is a host name, looked up before a check that is not connected. */
  private final boolean named;

  /** The channel calls go on; null for a name until it first resolves, and once closed. */
  private @Nullable Link link;

  /** The name's last lookup: in flight, or done (and then not used again). */
  private @Nullable CompletableFuture<List<InetAddress>> lookup;

  private boolean closed;

  /**
   * A connection to {@code address}, over TLS when {@code tls} is given.
   *
   * @throws IllegalArgumentException when grpc cannot use the TLS settings, or when the address's
   *     host looks like an IP address but is none
   */
  BuildKitConnection(BuildKitAddress address, @Nullable BuildKitTls tls) {
    this(address, tls, JDK_LOOKUP);
  }

  /**
   * A connection whose host name, if it has one, {@code lookups} resolves (on the lookup threads).
   *
   * @throws IllegalArgumentException as {@link #BuildKitConnection(BuildKitAddress, BuildKitTls)}
   */
  BuildKitConnection(BuildKitAddress address, @Nullable BuildKitTls tls, Lookup lookups) {
    this.address = address;
    this.tls = tls;
    this.lookups = lookups;
    if (address.isUnix()) {
      named = false;
      link = new Link(address, null, tls);
    } else if (address.isIpLiteral()) {
      named = false;
      InetAddress ip;
      try {
        // A literal: parsed, never looked up.
        ip = InetAddress.getByName(Objects.requireNonNull(address.host()));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "buildkit address \"" + address + "\": not an IP address: " + address.host(), e);
      }
      link = new Link(address, ip, tls);
    } else {
      named = true;
      if (tls != null) {
        BuildKitChannels.checkUsable(address, tls); // the channel is made later
      }
    }
  }

  /**
   * The channel to call on now: at once, unless a name must be looked up first. Fails with an
   * {@link UnknownHostException} when the name does not resolve, and with a {@link
   * CancellationException} once closed.
   */
  CompletionStage<Link> link() {
    CompletableFuture<List<InetAddress>> pending;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(new CancellationException("the probe is closed"));
      }
      Link now = link;
      if (now != null && (!named || now.channel.getState(false) == ConnectivityState.READY)) {
        return CompletableFuture.completedFuture(now.awake());
      }
      pending = lookup;
      if (pending == null || pending.isDone()) {
        pending = lookUp(); // a done one is an old answer: each check that needs one asks anew
        lookup = pending;
      }
    }
    return pending.thenApply(this::choose);
  }

  private CompletableFuture<List<InetAddress>> lookUp() {
    String host = String.valueOf(address.host());
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            List<InetAddress> addresses = lookups.addresses(host);
            if (addresses.isEmpty()) {
              throw new UnknownHostException(host);
            }
            return List.copyOf(addresses);
          } catch (UnknownHostException e) {
            throw new CompletionException(e);
          }
        },
        Lookups.EXECUTOR);
  }

  /** The link to {@code addresses}: the current one while it may stay, else a new one. */
  private synchronized Link choose(List<InetAddress> addresses) {
    if (closed) {
      throw new CancellationException("the probe is closed");
    }
    Link now = link;
    int at = now == null ? -1 : addresses.indexOf(now.ip);
    if (now != null && at >= 0 && (addresses.size() == 1 || !now.cannotConnect())) {
      return now.awake();
    }
    Link next = new Link(address, addresses.get((at + 1) % addresses.size()), tls);
    link = next;
    if (now != null) {
      now.channel.shutdownNow();
    }
    return next;
  }

  @Override
  public void close() {
    Link last;
    synchronized (this) {
      closed = true;
      last = link;
      link = null;
    }
    if (last != null) {
      last.channel.shutdownNow();
    }
  }

  /** Resolves a host name to its addresses. */
  @FunctionalInterface
  interface Lookup {
    /**
     * The addresses of {@code host}, in the order to try them.
     *
     * @throws UnknownHostException when it has none
     */
    List<InetAddress> addresses(String host) throws UnknownHostException;
  }

  /** One channel to one address, and what the probe learned on its current connection. */
  static final class Link {
    final @Nullable InetAddress ip;
    final ManagedChannel channel;
    final HealthGrpc.HealthStub health;
    final ControlGrpc.ControlStub control;

    /**
     * Whether the daemon answered {@code Control/Info} on the channel's current connection (said
     * its version, or that it has no Info). Cleared when the connection is lost: a daemon that
     * restarted may be another version.
     */
    volatile boolean infoAnswered;

    Link(BuildKitAddress address, @Nullable InetAddress ip, @Nullable BuildKitTls tls) {
      this.ip = ip;
      this.channel = BuildKitChannels.open(address, ip, tls);
      this.health = HealthGrpc.newStub(channel);
      this.control = ControlGrpc.newStub(channel);
      watchConnection(channel.getState(false));
    }

    private void watchConnection(ConnectivityState seen) {
      channel.notifyWhenStateChanged(
          seen,
          () -> {
            ConnectivityState now = channel.getState(false);
            if (now != ConnectivityState.READY) {
              infoAnswered = false;
            }
            if (now != ConnectivityState.SHUTDOWN) {
              watchConnection(now);
            }
          });
    }

    /** Whether the channel's last attempt to connect failed, or is still trying. */
    private boolean cannotConnect() {
      ConnectivityState state = channel.getState(false);
      return state == ConnectivityState.TRANSIENT_FAILURE || state == ConnectivityState.CONNECTING;
    }

    /**
     * Makes the next call a connection attempt. Left alone, a channel that lost its daemon
     * reconnects on grpc's backoff (1s, 1.6s, 2.56s, ... up to 2 minutes) and fails calls fast
     * meanwhile, so a daemon that came back would be seen only at the next step of the backoff.
     */
    private Link awake() {
      if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
        channel.resetConnectBackoff();
      }
      return this;
    }
  }

  /** The lookup threads, made on first use. */
  private static final class Lookups {
    private static final AtomicInteger THREADS = new AtomicInteger();
    static final Executor EXECUTOR = create();

    private static Executor create() {
      ThreadPoolExecutor executor =
          new ThreadPoolExecutor(
              LOOKUP_THREADS,
              LOOKUP_THREADS,
              1,
              TimeUnit.MINUTES,
              new LinkedBlockingQueue<>(),
              runnable -> {
                Thread thread =
                    new Thread(runnable, "melange-buildkit-lookup-" + THREADS.incrementAndGet());
                thread.setDaemon(true);
                return thread;
              });
      executor.allowCoreThreadTimeOut(true);
      return executor;
    }
  }
}
