package dev.melange.pool.buildkit.server;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads each request's body before the request goes on, without holding a thread while it arrives:
 * at most {@code maxBody} bytes (413 from the {@code Content-Length} before reading, and so before
 * {@code 100 Continue}, or as soon as a chunked body passes it), within {@code readTimeout} of the
 * headers (408, and the connection closed), and well-formed (400 for a malformed chunked body).
 * Requests go on to the routes, and to the limit on requests at once, only with their whole body in
 * hand, so a slow sender takes a connection and no more.
 *
 * <p>It also tells {@link RequestDeadlines} when a connection's request starts and ends.
 */
final class RequestBodies extends Handler.Wrapper {
  private static final String BODY = RequestBodies.class.getName() + ".body";
  private static final byte[] NONE = new byte[0];

  /**
   * How much of a body over the limit is read and thrown away after the 413 is sent, so that a
   * client still sending reads the 413 rather than a reset connection. Beyond this, the connection
   * is dropped.
   */
  private static final int MAX_DISCARD = 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(RequestBodies.class);

  private final int maxBody;
  private final Duration readTimeout;
  private final Scheduler scheduler;
  private final RequestDeadlines deadlines;

  RequestBodies(
      Handler next,
      int maxBody,
      Duration readTimeout,
      Scheduler scheduler,
      RequestDeadlines deadlines) {
    super(next);
    this.maxBody = maxBody;
    this.readTimeout = readTimeout;
    this.scheduler = scheduler;
    this.deadlines = deadlines;
  }

  /** The body read for {@code request}; empty when it had none. */
  static byte[] body(Request request) {
    return request.getAttribute(BODY) instanceof byte[] body ? body : NONE;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    deadlines.requestStarted(request);
    Callback ended =
        new Once(Callback.from(callback, (Runnable) () -> deadlines.requestEnded(request)));
    long declared = request.getLength();
    boolean chunked = declared < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    if (declared > maxBody) {
      // Answered before reading any of it, and so before 100 Continue: a client that asked
      // first never sends the body.
      tooLarge(request, response, ended);
    } else if (declared > 0 || chunked) {
      new BodyReader(request, response, ended).start();
    } else {
      proceed(request, response, ended);
    }
    return true;
  }

  private void proceed(Request request, Response response, Callback callback) {
    try {
      if (!super.handle(request, response, callback)) {
        Response.writeError(request, response, callback, 404);
      }
    } catch (Throwable failure) {
      callback.failed(failure);
      if (failure instanceof Error error) {
        throw error;
      }
    }
  }

  private void tooLarge(Request request, Response response, Callback callback) {
    boolean discard =
        !request.getHeaders().contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
    Callback then =
        discard
            ? Callback.from(() -> new Discarder(request, callback).run(), callback::failed)
            : callback;
    if (!discard) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
    ApiExchange.sendError(
        response,
        413,
        "request body too large: the limit is " + maxBody + " bytes",
        then,
        request.getMethod().equals("HEAD"));
  }

  /** Reads a body, chunk by chunk as it arrives, into one array. */
  private final class BodyReader implements Runnable {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean finished = new AtomicBoolean();
    private byte[] body = new byte[1024];
    private int size;
    private Scheduler.Task timeout = () -> false;

    BodyReader(Request request, Response response, Callback callback) {
      this.request = request;
      this.response = response;
      this.callback = callback;
    }

    void start() {
      timeout = scheduler.schedule(this::expire, readTimeout.toNanos(), TimeUnit.NANOSECONDS);
      run();
    }

    @Override
    public void run() {
      while (!finished.get()) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          malformed(chunk.getFailure());
          return;
        }
        ByteBuffer bytes = chunk.getByteBuffer();
        int length = bytes.remaining();
        if (length > maxBody - size) {
          chunk.release();
          if (finish()) {
            tooLarge(request, response, callback);
          }
          return;
        }
        if (size + length > body.length) {
          body = Arrays.copyOf(body, Math.min(maxBody, Math.max(size + length, body.length * 2)));
        }
        bytes.get(body, size, length);
        size += length;
        boolean last = chunk.isLast();
        chunk.release();
        if (last) {
          if (finish()) {
            request.setAttribute(BODY, Arrays.copyOf(body, size));
            body = NONE;
            proceed(request, response, callback);
          }
          return;
        }
      }
    }

    private void malformed(Throwable failure) {
      if (!finish()) {
        return;
      }
      log.debug(
          "{} {}: cannot read the body: {}",
          request.getMethod(),
          UntrustedText.escape(request.getHttpURI().getPath()),
          UntrustedText.escape(String.valueOf(failure)));
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
      ApiExchange.sendError(
          response,
          400,
          "invalid request body: " + reason(failure),
          callback,
          request.getMethod().equals("HEAD"));
    }

    private void expire() {
      if (finish()) {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        ApiExchange.sendError(
            response,
            408,
            "request body not received within " + ApiJson.goDuration(readTimeout),
            callback,
            request.getMethod().equals("HEAD"));
      }
    }

    /** Whether this call finished the read (the body, a failure or the timeout came first). */
    private boolean finish() {
      if (!finished.compareAndSet(false, true)) {
        return false;
      }
      timeout.cancel();
      return true;
    }
  }

  /** What went wrong with a body as the parser saw it, in our words. */
  private static String reason(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof EOFException
          || (cause instanceof HttpException http && "Early EOF".equals(http.getReason()))) {
        // Jetty ends a body this way for a malformed chunk size as for a cut-off body.
        return "the body ended early or its chunked encoding is malformed";
      }
    }
    if (failure instanceof HttpException http
        && http.getReason() != null
        && !http.getReason().isBlank()) {
      return UntrustedText.escape(http.getReason()); // Jetty's: "Bad chunking", "Bad Trailer"
    }
    return "the body could not be read";
  }

  /**
   * Reads and drops what a client still sends after its 413, up to {@link #MAX_DISCARD} bytes, then
   * ends the request (Jetty closes a connection whose body is left unread).
   */
  private static final class Discarder implements Runnable {
    private final Request request;
    private final Callback callback;
    private long discarded;

    Discarder(Request request, Callback callback) {
      this.request = request;
      this.callback = callback;
    }

    @Override
    public void run() {
      while (true) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          return;
        }
        boolean last = chunk.isLast() || Content.Chunk.isFailure(chunk);
        discarded += chunk.remaining();
        chunk.release();
        if (last || discarded >= MAX_DISCARD) {
          callback.succeeded();
          return;
        }
      }
    }
  }

  /**
   * Completes a request once: a route that fails its answer and then throws (an {@link Error})
   * reaches {@link #proceed} with the request already ended.
   */
  private static final class Once implements Callback {
    private final Callback callback;
    private final AtomicBoolean completed = new AtomicBoolean();

    Once(Callback callback) {
      this.callback = callback;
    }

    @Override
    public void succeeded() {
      if (completed.compareAndSet(false, true)) {
        callback.succeeded();
      }
    }

    @Override
    public void failed(Throwable failure) {
      if (completed.compareAndSet(false, true)) {
        callback.failed(failure);
      }
    }

    @Override
    public InvocationType getInvocationType() {
      return callback.getInvocationType();
    }
  }
}
