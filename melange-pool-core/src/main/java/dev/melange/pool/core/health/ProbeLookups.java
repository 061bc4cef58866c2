package dev.melange.pool.core.health;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where probes resolve host names. A lookup blocks (the JDK has no asynchronous resolver), and a
 * slow or dead name server must not stall the health scheduler's two threads, which every probe in
 * the JVM shares: names are resolved here, on at most {@link #THREADS} threads of their own that
 * end after a minute idle. IP literals need no lookup and skip it. The JDK caches answers (30 s,
 * failures 10 s, by default), so most probes of a named backend never wait here.
 */
public final class ProbeLookups {
  public static final int THREADS = 2;

  private ProbeLookups() {}

  /** Runs a task that may resolve names. */
  static Executor executor() {
    return Pool.INSTANCE;
  }

  /** Whether {@code host} is an IPv4 or IPv6 literal, which resolves without a lookup. */
  static boolean isLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true; // only IPv6 literals have colons (a port was split off before)
    }
    int dots = 0;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return dots == 3;
  }

  private static final class Pool {
    static final ThreadPoolExecutor INSTANCE = create();

    private static ThreadPoolExecutor create() {
      ThreadPoolExecutor executor =
          new ThreadPoolExecutor(
              THREADS,
              THREADS,
              1,
              TimeUnit.MINUTES,
              new LinkedBlockingQueue<>(),
              DaemonThreads.named("melange-pool-health-lookup-"));
      executor.allowCoreThreadTimeOut(true);
      return executor;
    }
  }
}
