package dev.melange.pool.buildkit.server;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendNotFoundException;
import dev.melange.pool.BackendPool;
import dev.melange.pool.DuplicateBackendException;
import dev.melange.pool.PoolException;
import dev.melange.pool.buildkit.server.ApiBodies.AddBody;
import dev.melange.pool.buildkit.server.ApiBodies.AddrBody;
import dev.melange.pool.buildkit.server.ApiBodies.BackendJson;
import dev.melange.pool.buildkit.server.ApiBodies.BackendList;
import dev.melange.pool.buildkit.server.ApiBodies.Backends;
import dev.melange.pool.buildkit.server.ApiBodies.PatternBody;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of melange-server's backend API over one pool, each request with its body already
 * read. No route waits on the pool: a drain is answered once it has started. Routes block only to
 * write their answer, on the server's threads or on the caller's executor.
 */
final class ApiRoutes extends Handler.Abstract {
  static final String BACKENDS = "/api/v1/backends";
  static final String STATUS = BACKENDS + "/status";
  static final String CORDON = BACKENDS + "/cordon";
  static final String UNCORDON = BACKENDS + "/uncordon";
  static final String DRAIN = BACKENDS + "/drain";

  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  private final BackendPool pool;
  private final @Nullable BearerToken token;
  private final @Nullable Executor executor;
  private final Consumer<Throwable> fatal;
  private final AnswerDeadlines answerDeadlines;
  private final int maxBackends;

  /** Held across an add's count and the add, so that adds at once cannot pass the limit. */
  private final Object adding = new Object();

  /**
   * @param token what the mutating routes require; null lets them through (loopback only)
   * @param executor where routes run; null for the server's own threads
   * @param fatal told of an {@link Error} thrown while serving, after which the server stops
   * @param answerDeadlines how long writing an answer may take
   * @param maxBackends the most backends the pool may hold for an add to be accepted
   */
  ApiRoutes(
      BackendPool pool,
      @Nullable BearerToken token,
      @Nullable Executor executor,
      Consumer<Throwable> fatal,
      AnswerDeadlines answerDeadlines,
      int maxBackends) {
    super(InvocationType.BLOCKING);
    this.pool = pool;
    this.token = token;
    this.executor = executor;
    this.fatal = fatal;
    this.answerDeadlines = answerDeadlines;
    this.maxBackends = maxBackends;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    ApiExchange exchange = new ApiExchange(request, response, callback, answerDeadlines);
    if (executor == null) {
      serve(exchange);
      return true;
    }
    try {
      executor.execute(() -> serve(exchange));
    } catch (RejectedExecutionException e) {
      log.warn("the executor refused a request: {}", e.toString());
      exchange.sendError(503, "server busy: too many requests at once, try again later");
    }
    return true;
  }

  private void serve(ApiExchange exchange) {
    try {
      route(exchange);
    } catch (ApiException e) {
      answerError(exchange, e.status(), e.getMessage());
    } catch (IOException e) {
      // The client went away mid-answer; nobody is left to answer.
      log.debug("{} {}: {}", exchange.method(), printable(exchange.path()), e.toString());
      exchange.fail(e);
    } catch (RuntimeException e) {
      log.error("{} {} failed", exchange.method(), printable(exchange.path()), e);
      answerError(exchange, 500, "internal error");
    } catch (Error e) {
      exchange.fail(e);
      fatal.accept(e);
      throw e;
    }
  }

  private void route(ApiExchange exchange) throws IOException {
    switch (exchange.path()) {
      case BACKENDS -> {
        switch (exchange.method()) {
          case "GET" -> list(exchange);
          case "POST" -> add(exchange);
          case "DELETE" -> remove(exchange);
          default -> throw exchange.methodNotAllowed("GET, POST, DELETE");
        }
      }
      case STATUS -> {
        exchange.requireMethod("GET");
        exchange.sendJson(200, new Backends(pool.status()));
      }
      case CORDON -> changeAdminState(exchange, pool::cordon, "cordoned");
      case UNCORDON -> changeAdminState(exchange, pool::uncordon, "uncordoned");
      case DRAIN -> drain(exchange);
      default -> throw new ApiException(404, "404 page not found");
    }
  }

  private void list(ApiExchange exchange) throws IOException {
    String arch = exchange.query("arch");
    List<Backend> backends = arch == null || arch.isEmpty() ? pool.backends() : pool.backends(arch);
    exchange.sendJson(200, new BackendList(BackendJson.of(backends), pool.architectures()));
  }

  private void add(ApiExchange exchange) throws IOException {
    authorize(exchange);
    AddBody body = exchange.readJson(AddBody.class);
    String addr = required(body.addr(), "addr is required");
    String arch = required(body.arch(), "arch is required");
    Map<String, String> labels = labels(body.labels());
    Backend backend;
    try {
      backend = new Backend(addr, arch, body.maxJobs() == null ? 0 : body.maxJobs(), labels);
      synchronized (adding) {
        int backends = pool.backends().size();
        if (backends >= maxBackends) {
          // Each backend costs memory and status bytes; past this, adding is the operator's
          // file's business, not the network's.
          throw new ApiException(
              409,
              "cannot add backend: the pool holds "
                  + backends
                  + (backends == 1 ? " backend" : " backends")
                  + ", this server's limit is "
                  + maxBackends);
        }
        pool.add(backend);
      }
    } catch (DuplicateBackendException e) {
      throw ApiException.from(409, e);
    } catch (IllegalArgumentException | PoolException e) {
      // Backend's own checks (maxJobs, labels), a probe refusing the address, a closed pool.
      throw ApiException.from(400, e);
    }
    log.info("added backend {} ({})", printable(backend.addr()), printable(backend.arch()));
    exchange.sendJson(201, BackendJson.of(backend));
  }

  private void remove(ApiExchange exchange) throws IOException {
    authorize(exchange);
    String addr = required(exchange.readJson(AddrBody.class).addr(), "addr is required");
    try {
      pool.remove(addr);
    } catch (BackendNotFoundException e) {
      throw ApiException.from(404, e);
    } catch (PoolException e) {
      throw ApiException.from(400, e); // cannot remove the last backend
    }
    log.info("removed backend {}", printable(addr));
    exchange.sendNoContent();
  }

  /** Cordons or uncordons: {@code change} is the pool's method, {@code done} what it did. */
  private void changeAdminState(
      ApiExchange exchange, Function<String, List<Backend>> change, String done)
      throws IOException {
    String pattern = operatorPattern(exchange);
    List<Backend> matched;
    try {
      matched = change.apply(pattern);
    } catch (PoolException e) {
      throw refused(e);
    }
    log.info("{} {}", done, addrs(matched));
    exchange.sendJson(200, new Backends(BackendJson.of(matched)));
  }

  private void drain(ApiExchange exchange) throws IOException {
    String pattern = operatorPattern(exchange);
    // The pool's future tells the backends only once all are gone; the answer names them now,
    // as the pool's own matcher finds them just before the drain (a backend added meanwhile
    // drains unnamed).
    List<Backend> matched;
    CompletableFuture<List<Backend>> drained;
    try {
      matched = pool.backendsMatching(pattern);
      drained = pool.drain(pattern);
    } catch (PoolException e) {
      throw refused(e);
    }
    log.info("draining {}", addrs(matched));
    CompletableFuture<?> unused =
        drained.whenComplete(
            (gone, failure) -> {
              if (failure == null) {
                log.info("drained {}", addrs(gone));
              } else {
                log.warn(
                    "drain of {} ended early: {}", addrs(matched), printable(failure.toString()));
              }
            });
    exchange.sendJson(202, new Backends(BackendJson.of(matched)));
  }

  private String operatorPattern(ApiExchange exchange) throws IOException {
    exchange.requireMethod("POST");
    authorize(exchange);
    return required(exchange.readJson(PatternBody.class).pattern(), "pattern is required");
  }

  private void authorize(ApiExchange exchange) {
    if (token != null) {
      token.check(exchange.header("Authorization"));
    }
  }

  /** 404 when the pattern matched nothing; 409 when the pool refuses in its present state. */
  private static ApiException refused(PoolException e) {
    return ApiException.from(e instanceof BackendNotFoundException ? 404 : 409, e);
  }

  private static String required(@Nullable String value, String message) {
    if (value == null || value.isBlank()) {
      throw ApiException.badRequest(message);
    }
    return value;
  }

  private static Map<String, String> labels(@Nullable Map<String, @Nullable String> labels) {
    Map<String, String> checked = new LinkedHashMap<>();
    if (labels != null) {
      labels.forEach(
          (key, value) -> {
            if (value == null) {
              throw ApiException.invalidBody(
                  "field \"labels." + UntrustedText.escape(key) + "\" must be a string");
            }
            checked.put(key, value);
          });
    }
    return checked;
  }

  /** The addresses, escaped, for a log line (as many as there are: the pool has them all). */
  private static List<String> addrs(List<Backend> backends) {
    return backends.stream().map(backend -> printable(backend.addr())).toList();
  }

  /** Request or pool text as a log line may carry it. */
  private static String printable(String text) {
    return UntrustedText.escape(text);
  }

  private static void answerError(ApiExchange exchange, int status, String message) {
    if (exchange.answered()) {
      log.debug(
          "{} {}: {} after the answer started",
          exchange.method(),
          printable(exchange.path()),
          printable(message));
      exchange.fail(new IOException("answer cut off: " + status));
      return;
    }
    exchange.sendError(status, message);
  }
}
