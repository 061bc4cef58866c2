package dev.melange.pool.buildkit.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for writing each answer: an answer not written whole within {@code writeTimeout} of
 * its start has its connection closed, which fails the write under way and frees the thread and the
 * turn it held.
 *
 * <p>A client that asks for a large status and never reads it holds a request thread and one of the
 * requests served at once while the answer waits for room in its socket; with the idle timeout
 * alone, eight such clients held every thread for 30 seconds, and others got 503.
 */
final class AnswerDeadlines {
  private static final Logger log = LoggerFactory.getLogger(AnswerDeadlines.class);

  private final Scheduler scheduler;
  private final Duration writeTimeout;

  AnswerDeadlines(Scheduler scheduler, Duration writeTimeout) {
    this.scheduler = scheduler;
    this.writeTimeout = writeTimeout;
  }

  /** Starts the deadline of the answer to {@code request}; cancel the task once it is written. */
  Scheduler.Task start(Request request) {
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    return scheduler.schedule(
        () -> {
          log.debug(
              "closing the connection from {}: its answer was not written within {}",
              endPoint.getRemoteSocketAddress(),
              ApiJson.goDuration(writeTimeout));
          endPoint.close(
              new TimeoutException(
                  "answer not written within " + ApiJson.goDuration(writeTimeout)));
        },
        writeTimeout.toNanos(),
        TimeUnit.NANOSECONDS);
  }
}
