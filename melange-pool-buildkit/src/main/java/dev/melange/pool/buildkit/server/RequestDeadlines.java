package dev.melange.pool.buildkit.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for each connection's request headers: a connection must deliver a whole request head
 * within {@code readTimeout} of opening, or of the end of its previous answer, or it is closed.
 *
 * <p>The idle timeout alone would let a client that sends a byte now and then (slowloris) hold its
 * connection for hours; with the connection limit, a few hundred such clients would shut everyone
 * else out. The body has a deadline of its own ({@link RequestBodies}).
 *
 * <p>Thread-safe: each connection's deadline is guarded by its own lock; a generation tells a timer
 * that fires late that the deadline it was set for is gone.
 */
final class RequestDeadlines implements Connection.Listener {
  private static final Logger log = LoggerFactory.getLogger(RequestDeadlines.class);

  private final Scheduler scheduler;
  private final Duration readTimeout;
  private final Map<Connection, Deadline> deadlines = new ConcurrentHashMap<>();

  RequestDeadlines(Scheduler scheduler, Duration readTimeout) {
    this.scheduler = scheduler;
    this.readTimeout = readTimeout;
  }

  @Override
  public void onOpened(Connection connection) {
    Deadline deadline = new Deadline(connection);
    deadlines.put(connection, deadline);
    deadline.arm();
  }

  @Override
  public void onClosed(Connection connection) {
    Deadline deadline = deadlines.remove(connection);
    if (deadline != null) {
      deadline.disarm();
    }
  }

  /** The request's head has arrived: no deadline while it is read and answered. */
  void requestStarted(Request request) {
    Deadline deadline = deadlines.get(request.getConnectionMetaData().getConnection());
    if (deadline != null) {
      deadline.disarm();
    }
  }

  /** The request was answered: the next one's head must come within the read timeout. */
  void requestEnded(Request request) {
    Deadline deadline = deadlines.get(request.getConnectionMetaData().getConnection());
    if (deadline != null) {
      deadline.arm();
    }
  }

  private final class Deadline {
    private final Connection connection;
    private long generation; // guarded by this
    private Scheduler.Task task = () -> false; // guarded by this

    Deadline(Connection connection) {
      this.connection = connection;
    }

    synchronized void arm() {
      task.cancel();
      long armed = ++generation;
      task = scheduler.schedule(() -> expire(armed), readTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    synchronized void disarm() {
      generation++;
      task.cancel();
    }

    private void expire(long armed) {
      synchronized (this) {
        if (armed != generation) {
          return;
        }
      }
      log.debug(
          "closing a connection from {}: no request within {}",
          connection.getEndPoint().getRemoteSocketAddress(),
          ApiJson.goDuration(readTimeout));
      connection.getEndPoint().close();
    }
  }
}
