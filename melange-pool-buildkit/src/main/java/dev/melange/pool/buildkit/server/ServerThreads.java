package dev.melange.pool.buildkit.server;

import java.util.function.Consumer;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The server's threads (daemons, so that a server left open does not keep the JVM alive), which
 * report an {@link Error} that escapes any of their jobs: the acceptor, the selector, a request.
 * After an {@link OutOfMemoryError} or a {@link StackOverflowError} in the server's own machinery,
 * serving on would be guesswork; the server stops and says why (see {@link
 * MelangeServerApi#whenStopped()}).
 */
final class ServerThreads extends QueuedThreadPool {
  private final Consumer<Throwable> fatal;

  ServerThreads(int maxThreads, Consumer<Throwable> fatal) {
    super(maxThreads, Math.min(4, maxThreads), 60_000);
    this.fatal = fatal;
    setName("melange-server-http");
    setDaemon(true);
    setReservedThreads(0);
  }

  @Override
  protected void runJob(Runnable job) {
    try {
      super.runJob(job);
    } catch (Error error) {
      fatal.accept(error);
      throw error;
    }
  }
}
