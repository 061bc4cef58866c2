package dev.melange.pool.buildkit.server;

import com.sun.net.httpserver.HttpServer;
import dev.melange.pool.BackendPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * melange-server's backend API over a {@link BackendPool}, on the JDK's HTTP server: what {@code
 * melange remote backends} and scripts call to list, add and remove backends and to read their
 * status, plus cordon, uncordon and drain.
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><th>route</th><th>body</th><th>answer</th></tr>
 *   <tr><td>{@code GET /api/v1/backends[?arch=X]}</td><td></td>
 *       <td>200 {@code {"backends":[{addr,arch,labels,maxJobs}],"architectures":[...]}}</td></tr>
 *   <tr><td>{@code POST /api/v1/backends}</td><td>{@code {addr,arch,labels?,maxJobs?}}</td>
 *       <td>201 the backend; 400; 409 {@code backend already exists: <addr>}</td></tr>
 *   <tr><td>{@code DELETE /api/v1/backends}</td><td>{@code {addr}}</td>
 *       <td>204; 400 {@code cannot remove the last backend}; 404 {@code backend not found:
 *       <addr>}</td></tr>
 *   <tr><td>{@code GET /api/v1/backends/status}</td><td></td>
 *       <td>200 {@code {"backends":[...]}}, every {@link dev.melange.pool.BackendStatus}
 *       component</td></tr>
 *   <tr><td>{@code POST /api/v1/backends/cordon}, {@code /uncordon}</td>
 *       <td>{@code {pattern}}</td><td>200 {@code {"backends":[...]}} matched; 404; 409</td></tr>
 *   <tr><td>{@code POST /api/v1/backends/drain}</td><td>{@code {pattern}}</td>
 *       <td>202 {@code {"backends":[...]}} once the drain has started; 404; 409</td></tr>
 * </table>
 *
 * <p>Errors are plain text and a newline ({@code text/plain; charset=utf-8}); other methods get 405
 * {@code method not allowed}; bodies must be JSON objects of at most 64 KiB without unknown fields.
 *
 * <p>Safe by default: it listens on {@code 127.0.0.1:8080}. With a token file, the mutating routes
 * (POST and DELETE) require {@code Authorization: Bearer <token>}; on any address but loopback a
 * token file is required, and without one the server refuses to start. Reading routes stay open.
 *
 * <pre>{@code
 * try (BackendPool pool = BackendPool.fromYaml(Path.of("backends.yaml"));
 *     MelangeServerApi api = MelangeServerApi.builder(pool).build().start()) {
 *   System.out.println("listening on " + api.uri());
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. Closing stops the HTTP server; the pool stays open unless {@link
 * Builder#closePoolOnClose} says otherwise.
 */
public final class MelangeServerApi implements AutoCloseable {
  /** Where the server listens unless told otherwise: loopback only. */
  public static final String DEFAULT_LISTEN_ADDRESS = "127.0.0.1:8080";

  private static final Logger log = LoggerFactory.getLogger(MelangeServerApi.class);

  private final BackendPool pool;
  private final InetSocketAddress listenAddress;
  private final @Nullable Path tokenFile;
  private final @Nullable Executor executor;
  private final boolean closePool;

  private final Object lock = new Object();
  private @Nullable HttpServer server; // guarded by lock
  private @Nullable ExecutorService ownExecutor; // guarded by lock
  private boolean closed; // guarded by lock

  private MelangeServerApi(Builder builder) {
    this.pool = builder.pool;
    this.listenAddress = builder.listenAddress;
    this.tokenFile = builder.tokenFile;
    this.executor = builder.executor;
    this.closePool = builder.closePool;
  }

  /** A builder for the API over {@code pool}. */
  public static Builder builder(BackendPool pool) {
    return new Builder(pool);
  }

  /**
   * Binds the address and starts serving.
   *
   * @return this
   * @throws IllegalStateException when the address is not loopback and no token file is set (the
   *     mutating routes would be open to the network), or when started twice or after closing
   * @throws IllegalArgumentException when the token file cannot be read or is empty
   * @throws UncheckedIOException when the address cannot be bound (in use, not local)
   */
  public MelangeServerApi start() {
    synchronized (lock) {
      if (closed || server != null) {
        throw new IllegalStateException(closed ? "closed" : "already started");
      }
      BearerToken token = tokenFile == null ? null : BearerToken.read(tokenFile);
      if (token == null && !listenAddress.getAddress().isLoopbackAddress()) {
        throw new IllegalStateException(
            "refusing to listen on "
                + hostPort(listenAddress)
                + " without a token: anyone who can reach it could add, remove and drain"
                + " backends; pass --token-file (a file holding a secret) or listen on"
                + " 127.0.0.1");
      }
      HttpServer http;
      try {
        http = HttpServer.create(listenAddress, 0);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot listen on " + hostPort(listenAddress) + ": " + e, e);
      }
      http.createContext("/", new ApiRoutes(pool, token));
      Executor handlers = executor;
      if (handlers == null) {
        ownExecutor = Executors.newFixedThreadPool(4, new HandlerThreads());
        handlers = ownExecutor;
      }
      http.setExecutor(handlers);
      http.start();
      server = http;
      log.info(
          "melange-server API listening on {}{}", uri(), token == null ? "" : " (token required)");
      return this;
    }
  }

  /**
   * The address the server is bound to: with port 0, the port it was given.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public InetSocketAddress address() {
    synchronized (lock) {
      if (server == null) {
        throw new IllegalStateException("not started");
      }
      return server.getAddress();
    }
  }

  /**
   * The server's base URL, e.g. {@code http://127.0.0.1:8080}.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public URI uri() {
    return URI.create("http://" + hostPort(address()));
  }

  /**
   * Stops the HTTP server at once (requests in flight are cut off; none waits on the pool), and
   * closes the pool if {@link Builder#closePoolOnClose} said so. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (server != null) {
        server.stop(0);
        log.info("melange-server API stopped");
      }
      if (ownExecutor != null) {
        ownExecutor.shutdown();
      }
    }
    if (closePool) {
      pool.close();
    }
  }

  private static String hostPort(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    int zone = host.indexOf('%');
    if (zone >= 0) {
      host = host.substring(0, zone);
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Configures a {@link MelangeServerApi}. Not thread-safe. */
  public static final class Builder {
    private final BackendPool pool;
    private InetSocketAddress listenAddress = ListenAddress.parse(DEFAULT_LISTEN_ADDRESS);
    private @Nullable Path tokenFile;
    private @Nullable Executor executor;
    private boolean closePool;

    private Builder(BackendPool pool) {
      this.pool = Objects.requireNonNull(pool, "pool");
    }

    /**
     * Where to listen, as Go reads it: {@code host:port}, {@code [v6]:port}, or {@code :port} for
     * every interface (which needs a token file). Port 0 picks a free port. Default {@value
     * MelangeServerApi#DEFAULT_LISTEN_ADDRESS}.
     *
     * @throws IllegalArgumentException naming the address when it is malformed or its host unknown
     */
    public Builder listenAddress(String hostPort) {
      this.listenAddress = ListenAddress.parse(hostPort);
      return this;
    }

    /** Where to listen. Default {@value MelangeServerApi#DEFAULT_LISTEN_ADDRESS}. */
    public Builder listenAddress(InetSocketAddress address) {
      if (address.isUnresolved()) {
        throw new IllegalArgumentException("listen address " + address + " is unresolved");
      }
      this.listenAddress = address;
      return this;
    }

    /**
     * A file holding the token the mutating routes require as {@code Authorization: Bearer
     * <token>}, read once at {@link #start()} and trimmed of surrounding whitespace. Required to
     * listen on anything but loopback; on loopback it is optional, and required of clients when
     * set.
     */
    public Builder tokenFile(@Nullable Path file) {
      this.tokenFile = file;
      return this;
    }

    /**
     * Runs the handlers; the caller keeps it and shuts it down. Default: four threads of the
     * server's own, stopped on {@link #close()}.
     */
    public Builder executor(@Nullable Executor executor) {
      this.executor = executor;
      return this;
    }

    /** Whether {@link #close()} also closes the pool. Default false: the pool is the caller's. */
    public Builder closePoolOnClose(boolean closePool) {
      this.closePool = closePool;
      return this;
    }

    /** The API, not yet listening: call {@link MelangeServerApi#start()}. */
    public MelangeServerApi build() {
      return new MelangeServerApi(this);
    }
  }

  /** Daemon threads, so a forgotten server does not keep the JVM alive. */
  private static final class HandlerThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable task) {
      Thread thread = new Thread(task, "melange-server-http-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    }
  }
}
