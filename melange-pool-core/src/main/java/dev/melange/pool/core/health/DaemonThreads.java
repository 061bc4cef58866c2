package dev.melange.pool.core.health;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The health checks' threads: daemons, named by what they do, so that they never keep a JVM up. */
final class DaemonThreads {
  private DaemonThreads() {}

  /** Daemon threads named {@code prefix} and a count. */
  static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
