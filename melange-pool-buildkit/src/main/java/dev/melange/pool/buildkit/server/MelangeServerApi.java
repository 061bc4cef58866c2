package dev.melange.pool.buildkit.server;

import dev.melange.pool.BackendPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.QoSHandler;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * melange-server's backend API over a {@link BackendPool}, on an embedded Jetty server of its own:
 * what {@code melange remote backends} and scripts call to list, add and remove backends and to
 * read their status, plus cordon, uncordon and drain.
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><th>route</th><th>body</th><th>answer</th></tr>
 *   <tr><td>{@code GET /api/v1/backends[?arch=X]}</td><td></td>
 *       <td>200 {@code {"backends":[{addr,arch,labels,maxJobs}],"architectures":[...]}}</td></tr>
 *   <tr><td>{@code POST /api/v1/backends}</td><td>{@code {addr,arch,labels?,maxJobs?}}</td>
 *       <td>201 the backend; 400; 409 {@code backend already exists: <addr>}, or the pool holds
 *       {@link Builder#maxBackends} backends</td></tr>
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
 * <p>Errors are one line of plain text and a newline ({@code text/plain; charset=utf-8}), the
 * server's own (a malformed request, a header over the limit) included; other methods get 405
 * {@code method not allowed}; bodies must be JSON objects of at most 64 KiB without unknown fields.
 *
 * <p>Hardened by default, each limit set on the {@link Builder} for this instance alone (nothing
 * JVM-wide): a request's head must arrive within the read timeout of its connection's opening or
 * previous answer, and its body within the read timeout of its head; a silent connection is closed
 * after the idle timeout; connections, requests served at once and requests queued are bounded; the
 * request line and headers together are bounded (414 for a longer URL, 431 for longer headers), and
 * so is the body (413, before {@code 100 Continue}). Bodies are read without holding a thread, and
 * answers are written as they are made, each within the write timeout of its start, else its
 * connection is closed. Backends added through the API are bounded too (409 beyond).
 *
 * <p>Safe by default: it listens on {@code 127.0.0.1:8080}. With a token file, the mutating routes
 * (POST and DELETE) require {@code Authorization: Bearer <token>}; on any address but loopback a
 * token file is required, and without one the server refuses to start. Reading routes stay open.
 * What a web page could make a browser send is refused on every route: on a loopback address, a
 * request whose {@code Host} is not a loopback name ({@code localhost}, {@code 127.x.y.z}, {@code
 * [::1]}) gets 421 (DNS rebinding); anywhere, a POST or DELETE from another origin ({@code
 * Sec-Fetch-Site} other than {@code same-origin} or {@code none}, else an {@code Origin} that is
 * not the {@code Host}) gets 403. Clients that are not browsers send neither header.
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
 * Builder#closePoolOnClose} says otherwise. A server that fails on its own (an {@link Error} such
 * as {@link OutOfMemoryError} in its threads) stops, and says so through {@link #whenStopped()}.
 */
public final class MelangeServerApi implements AutoCloseable {
  /** Where the server listens unless told otherwise: loopback only. */
  public static final String DEFAULT_LISTEN_ADDRESS = "127.0.0.1:8080";

  /** How long a request's head, and then its body, may take to arrive, unless told otherwise. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long writing one answer may take, unless told otherwise: shorter than the read timeout,
   * which bounds a request's wait for its turn, so that a request queued behind answers nobody
   * reads gets its turn before it gives up.
   */
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(5);

  /** How long a connection may stay silent, read or answered, unless told otherwise. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  /** How many connections are open at most, unless told otherwise. */
  public static final int DEFAULT_MAX_CONNECTIONS = 256;

  /** How many requests are served at once at most, unless told otherwise. */
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 8;

  /** How many requests wait for their turn at most, unless told otherwise (then 503). */
  public static final int DEFAULT_MAX_QUEUED_REQUESTS = 64;

  /** The most bytes of request line and headers together, unless told otherwise. */
  public static final int DEFAULT_MAX_REQUEST_HEADER_SIZE = 8 * 1024;

  /** The most bytes of a request body, unless told otherwise (then 413). */
  public static final int DEFAULT_MAX_REQUEST_BODY_SIZE = 64 * 1024;

  /**
   * The most backends the pool may hold for {@code POST /api/v1/backends} to add one, unless told
   * otherwise (then 409). A status of this many backends with the most labels each stays under the
   * 16 MiB the {@code backends} commands read.
   */
  public static final int DEFAULT_MAX_BACKENDS = 512;

  private static final Logger log = LoggerFactory.getLogger(MelangeServerApi.class);

  private final BackendPool pool;
  private final InetSocketAddress listenAddress;
  private final @Nullable Path tokenFile;
  private final @Nullable Executor executor;
  private final boolean closePool;
  private final Duration readTimeout;
  private final Duration writeTimeout;
  private final Duration idleTimeout;
  private final int maxConnections;
  private final int maxConcurrentRequests;
  private final int maxQueuedRequests;
  private final int maxRequestHeaderSize;
  private final int maxRequestBodySize;
  private final int maxBackends;

  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final Object lock = new Object();
  private @Nullable Server server; // guarded by lock
  private @Nullable InetSocketAddress boundAddress; // guarded by lock
  private boolean closed; // guarded by lock

  private MelangeServerApi(Builder builder) {
    this.pool = builder.pool;
    this.listenAddress = builder.listenAddress;
    this.tokenFile = builder.tokenFile;
    this.executor = builder.executor;
    this.closePool = builder.closePool;
    this.readTimeout = builder.readTimeout;
    this.writeTimeout = builder.writeTimeout;
    this.idleTimeout = builder.idleTimeout;
    this.maxConnections = builder.maxConnections;
    this.maxConcurrentRequests = builder.maxConcurrentRequests;
    this.maxQueuedRequests = builder.maxQueuedRequests;
    this.maxRequestHeaderSize = builder.maxRequestHeaderSize;
    this.maxRequestBodySize = builder.maxRequestBodySize;
    this.maxBackends = builder.maxBackends;
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
   * @throws IllegalArgumentException when the token file cannot be read, is empty or is not text
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
      Server http = jetty(token);
      try {
        http.start();
      } catch (Exception e) {
        stopQuietly(http);
        if (e instanceof IOException io) {
          throw new UncheckedIOException(
              "cannot listen on " + hostPort(listenAddress) + ": " + cause(io), io);
        }
        throw new IllegalStateException(
            "cannot start the server on " + hostPort(listenAddress) + ": " + e, e);
      }
      ServerConnector connector = (ServerConnector) http.getConnectors()[0];
      server = http;
      boundAddress = new InetSocketAddress(listenAddress.getAddress(), connector.getLocalPort());
      log.info(
          "melange-server API listening on {}{}", uri(), token == null ? "" : " (token required)");
      return this;
    }
  }

  /** The Jetty server with every limit of this instance, not yet started. */
  private Server jetty(@Nullable BearerToken token) {
    ServerThreads threads = new ServerThreads(maxConcurrentRequests + 8, this::fail);
    ScheduledExecutorScheduler scheduler =
        new ScheduledExecutorScheduler("melange-server-timer", true);
    Server http = new Server(threads, scheduler, null);
    http.setStopTimeout(0);

    HttpConfiguration config = new HttpConfiguration();
    config.setRequestHeaderSize(maxRequestHeaderSize); // 414 or 431 beyond
    config.setSendServerVersion(false);
    config.setSendXPoweredBy(false);
    ServerConnector connector = new ServerConnector(http, 1, 1, new HttpConnectionFactory(config));
    InetAddress host = listenAddress.getAddress();
    // Null binds the wildcard address of both IPv4 and IPv6, as Go does for ":8080".
    connector.setHost(host.isAnyLocalAddress() ? null : host.getHostAddress());
    connector.setPort(listenAddress.getPort());
    connector.setIdleTimeout(idleTimeout.toMillis());
    RequestDeadlines deadlines = new RequestDeadlines(scheduler, readTimeout);
    connector.addBean(deadlines);
    http.addConnector(connector);
    http.addBean(new NetworkConnectionLimit(maxConnections, connector));

    ApiRoutes routes =
        new ApiRoutes(
            pool,
            token,
            executor,
            this::fail,
            new AnswerDeadlines(scheduler, writeTimeout),
            maxBackends);
    QoSHandler requestsAtOnce = new QoSHandler(routes);
    requestsAtOnce.setMaxRequestCount(maxConcurrentRequests);
    requestsAtOnce.setMaxSuspendedRequestCount(maxQueuedRequests);
    requestsAtOnce.setMaxSuspend(readTimeout);
    // Refused before they wait for their turn: a web page's requests, and DNS rebinding.
    CrossOriginRequests fromHere =
        new CrossOriginRequests(requestsAtOnce, listenAddress.getAddress().isLoopbackAddress());
    http.setHandler(
        new RequestBodies(fromHere, maxRequestBodySize, readTimeout, scheduler, deadlines));
    http.setErrorHandler(new PlainTextErrors(maxRequestHeaderSize));
    http.addEventListener(
        new LifeCycle.Listener() {
          @Override
          public void lifeCycleFailure(LifeCycle event, Throwable cause) {
            fail(cause);
          }
        });
    return http;
  }

  /**
   * The address the server is bound to: with port 0, the port it was given.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public InetSocketAddress address() {
    synchronized (lock) {
      if (boundAddress == null) {
        throw new IllegalStateException("not started");
      }
      return boundAddress;
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
   * Completes when the server has stopped: normally once {@link #close()} is called, exceptionally
   * with the cause when the server stopped on its own because its machinery failed (an {@link
   * Error}, such as {@link OutOfMemoryError}, in one of its threads: the acceptor, the selector, a
   * request). A host that runs the server as its main job should end, and say why, when it does.
   */
  public CompletionStage<Void> whenStopped() {
    return stopped.minimalCompletionStage();
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
        stopQuietly(server);
        log.info("melange-server API stopped");
      }
    }
    stopped.complete(null);
    if (closePool) {
      pool.close();
    }
  }

  /** The server failed on its own: it stops, and {@link #whenStopped()} says why. */
  private void fail(Throwable cause) {
    if (!stopped.completeExceptionally(cause)) {
      return;
    }
    try {
      log.error("melange-server API failed, stopping: {}", cause.toString());
      Thread stopper =
          new Thread(
              () -> {
                Server failed;
                synchronized (lock) {
                  failed = server;
                }
                if (failed != null) {
                  stopQuietly(failed);
                }
              },
              "melange-server-stop");
      stopper.setDaemon(true);
      stopper.start();
    } catch (Throwable unused) {
      // Out of memory, likely: whenStopped() has told the host, which closes the server.
    }
  }

  private static void stopQuietly(Server http) {
    try {
      http.stop();
    } catch (Exception e) {
      log.debug("stopping the HTTP server: {}", e.toString());
    }
  }

  /** The root cause of a bind failure ("Address already in use"), not Jetty's wrapping. */
  private static String cause(IOException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.toString();
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
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
    private int maxQueuedRequests = DEFAULT_MAX_QUEUED_REQUESTS;
    private int maxRequestHeaderSize = DEFAULT_MAX_REQUEST_HEADER_SIZE;
    private int maxRequestBodySize = DEFAULT_MAX_REQUEST_BODY_SIZE;
    private int maxBackends = DEFAULT_MAX_BACKENDS;

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

    /**
     * Where to listen. Default {@value MelangeServerApi#DEFAULT_LISTEN_ADDRESS}.
     *
     * @throws IllegalArgumentException when the address is unresolved
     */
    public Builder listenAddress(InetSocketAddress address) {
      if (address.isUnresolved()) {
        throw new IllegalArgumentException("listen address " + address + " is unresolved");
      }
      this.listenAddress = address;
      return this;
    }

    /**
     * A file holding the token the mutating routes require as {@code Authorization: Bearer
     * <token>}, read once at {@link #start()} as {@link TokenFile#read} reads it (UTF-8, a
     * byte-order mark dropped, trimmed; an empty file or one that is not text is refused). Required
     * to listen on anything but loopback; on loopback it is optional, and required of clients when
     * set.
     */
    public Builder tokenFile(@Nullable Path file) {
      this.tokenFile = file;
      return this;
    }

    /**
     * Runs the routes (reading the pool and writing the answer); the caller keeps it and shuts it
     * down. A refused task is answered 503. Default: the server's own threads, stopped on {@link
     * #close()}. Connections and bodies are read by the server's threads either way.
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

    /**
     * How long a request may take to arrive: its head (request line and headers) within this of its
     * connection's opening or previous answer, else the connection is closed; then its body within
     * this of its head, else 408 and the connection is closed. It also bounds how long a request
     * waits for its turn among {@link #maxQueuedRequests} (then 503). Default 10 s.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * How long writing one answer may take, from its first byte to its last: a client that does not
     * read its answer (or reads it too slowly) has its connection closed then, which frees the
     * thread and the turn among {@link #maxConcurrentRequests} its answer held. Default 5 s: keep
     * it below the {@link #readTimeout}, which bounds how long a request waits for its turn.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = positive(timeout, "writeTimeout");
      return this;
    }

    /**
     * How long a connection may stay silent while a request is read or answered (a client that does
     * not read its answer) before it is closed; between requests, the {@link #readTimeout} closes
     * it first, and an answer's writing ends at the {@link #writeTimeout}. Default 30 s.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive(timeout, "idleTimeout");
      return this;
    }

    /**
     * The most connections open at once; beyond it, new ones wait in the operating system's backlog
     * until one closes. Default 256.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxConnections(int connections) {
      this.maxConnections = positive(connections, "maxConnections");
      return this;
    }

    /**
     * The most requests served at once (their bodies read); others wait in a queue. Default 8.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxConcurrentRequests(int requests) {
      this.maxConcurrentRequests = positive(requests, "maxConcurrentRequests");
      return this;
    }

    /**
     * The most requests waiting for their turn; one more is answered 503 at once, and one that
     * waits longer than the read timeout too. Default 64.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxQueuedRequests(int requests) {
      if (requests < 0) {
        throw new IllegalArgumentException("maxQueuedRequests must be >= 0, was " + requests);
      }
      this.maxQueuedRequests = requests;
      return this;
    }

    /**
     * The most bytes of a request's line and headers together: a longer URL is answered 414, longer
     * headers 431. Default 8 KiB.
     *
     * @throws IllegalArgumentException when below 1 KiB
     */
    public Builder maxRequestHeaderSize(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxRequestHeaderSize must be >= 1024, was " + bytes);
      }
      this.maxRequestHeaderSize = bytes;
      return this;
    }

    /**
     * The most bytes of a request body: a larger one is answered 413, from its {@code
     * Content-Length} before any of it is read (before {@code 100 Continue}), or as soon as a
     * chunked body passes it. Default 64 KiB.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxRequestBodySize(int bytes) {
      this.maxRequestBodySize = positive(bytes, "maxRequestBodySize");
      return this;
    }

    /**
     * The most backends the pool may hold for {@code POST /api/v1/backends} to add one: beyond it,
     * an add is answered 409 {@code cannot add backend: the pool holds N backends, this server's
     * limit is M}. Backends from the pool's file or the host's code are not refused. Default 512.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxBackends(int backends) {
      this.maxBackends = positive(backends, "maxBackends");
      return this;
    }

    /** The API, not yet listening: call {@link MelangeServerApi#start()}. */
    public MelangeServerApi build() {
      return new MelangeServerApi(this);
    }

    private static int positive(int value, String name) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be > 0, was " + value);
      }
      return value;
    }

    private static Duration positive(Duration value, String name) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
