package dev.melange.pool.core;

import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.config.FileStamp;
import dev.melange.pool.core.config.PoolSettings;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code watch: true}: reloads the pool's configuration file when it changes. It looks at the
 * file's modification time, size and identity every {@link #POLL_MILLIS} ms (a symlink swapped, as
 * Kubernetes does with a ConfigMap, counts as a change) and reloads once a change has held still
 * for one more look, so that an editor's several writes make one reload. The pool's timer only
 * times the looks: each runs, file reads and reload included, on a thread of the watch's own, so
 * that a file that blocks (a hung mount; a FIFO is refused before it is opened) stalls the watch
 * alone, never the pool's timeouts, drains and recovery checks. It compares with the file's state
 * just before the pool last read it ({@link FileStamp}), so a change made while the file was being
 * read is not missed. A file that fails to load is logged and left; the pool keeps its
 * configuration until the file changes again.
 *
 * <p>The pool calls {@link #configure} after each load, in the order of the loads (under its reload
 * lock); each call starts a new generation of looks, and a look of an older generation ends without
 * scheduling another, so there is never more than one line of looks.
 */
final class ConfigWatch {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatch.class);

  /** How often the file is looked at; a change is reloaded 1 to 2 looks after it. */
  static final long POLL_MILLIS = 500;

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** What the watch reloads: the pool, seen only through this. */
  interface Target {
    /**
     * Reloads the configuration from {@code file}.
     *
     * @throws PoolConfigException when the file is wrong (the pool keeps its configuration)
     */
    void reload(Path file);

    boolean isClosed();
  }

  private final Target pool;

  private final PoolTimer timer;

  /**
   * Where looks run: one thread, made on first need, that ends after a minute without work (so a
   * pool that stops watching keeps no thread). Looks come one at a time: each queues the next.
   */
  private final ExecutorService looks = newLooksExecutor();

  /** Guarded by {@code this}: what is watched now, or null; a new object for each load. */
  private @Nullable Watched watched;

  /** Guarded by {@code this}: the next look, or null. */
  private @Nullable Future<?> next;

  ConfigWatch(Target pool, PoolTimer timer) {
    this.pool = pool;
    this.timer = timer;
  }

  /**
   * After a load: watches the settings' file if they say to, comparing with the state it had just
   * before it was read; else stops watching.
   */
  void configure(PoolSettings settings) {
    Path source = settings.source();
    if (!settings.watch() || source == null) {
      stop();
      return;
    }
    Object stamp = settings.sourceStamp();
    Watched now = new Watched(source, stamp instanceof FileStamp f ? f : null);
    Future<?> previous;
    synchronized (this) {
      watched = now;
      previous = next;
      next = scheduleLook(now);
    }
    if (previous != null) {
      previous.cancel(false);
    }
  }

  /** The next look at {@code current}, timed by the pool's timer, run on the watch's thread. */
  private @Nullable Future<?> scheduleLook(Watched current) {
    // Never shut down (its thread only times out), the executor takes every look.
    return timer.schedule(
        () -> looks.execute(() -> look(current)), TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
  }

  private static ExecutorService newLooksExecutor() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            1,
            1,
            1,
            TimeUnit.MINUTES,
            new LinkedBlockingQueue<>(),
            runnable -> {
              Thread thread =
                  new Thread(runnable, "melange-pool-watch-" + THREADS.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  void stop() {
    Future<?> pending;
    synchronized (this) {
      watched = null;
      pending = next;
      next = null;
    }
    if (pending != null) {
      pending.cancel(false);
    }
  }

  private void look(Watched current) {
    synchronized (this) {
      if (watched != current) {
        return; // a newer load or a stop replaced this line of looks
      }
    }
    FileStamp now = FileStamp.of(current.file);
    if (Objects.equals(now, current.loaded)) {
      current.changed = null;
    } else if (!Objects.equals(now, current.changed)) {
      current.changed = now; // look once more: reload when it holds still
    } else {
      current.changed = null;
      current.loaded = now;
      reload(current.file); // configures a new line of looks when it succeeds
    }
    synchronized (this) {
      if (watched == current) {
        next = scheduleLook(current);
      }
    }
  }

  private void reload(Path file) {
    try {
      pool.reload(file);
    } catch (PoolConfigException e) {
      log.error(
          "{} changed but was not reloaded; the pool keeps its configuration:\n{}",
          file,
          e.getMessage());
    } catch (RuntimeException e) {
      if (pool.isClosed()) {
        log.debug("{} changed, but the pool closed", file);
      } else {
        log.error("{} changed but was not reloaded", file, e);
      }
    }
  }

  /**
   * One load's watch: the file and its state when loaded; then, on the watch's thread only, the
   * state last loaded and a change seen once.
   */
  private static final class Watched {
    final Path file;
    @Nullable FileStamp loaded;
    @Nullable FileStamp changed;

    Watched(Path file, @Nullable FileStamp loaded) {
      this.file = file;
      this.loaded = loaded;
    }
  }
}
