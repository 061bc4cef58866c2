package dev.melange.pool.core;

import dev.melange.pool.PoolConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code watch: true}: reloads the pool's configuration file when it changes. It looks at the
 * file's modification time, size and identity every {@link #POLL_MILLIS} ms on the pool's timer
 * thread (no thread of its own; a symlink swapped, as Kubernetes does with a ConfigMap, counts as a
 * change) and reloads once a change has held still for one more look, so that an editor's several
 * writes make one reload. A file that fails to load is logged and left; the pool keeps its
 * configuration until the file changes again.
 */
final class ConfigWatch {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatch.class);

  /** How often the file is looked at; a change is reloaded 1 to 2 looks after it. */
  static final long POLL_MILLIS = 500;

  private final LocalBackendPool pool;

  /** The file watched, or null when not watching. */
  private volatile @Nullable Path file;

  /** Timer thread only: the file last looked at, its state when last loaded, and a change seen. */
  private @Nullable Path looked;

  private @Nullable Fingerprint loaded;
  private @Nullable Fingerprint changed;

  /** Guarded by {@code this}: the next look, or null when none is scheduled. */
  private @Nullable Future<?> next;

  ConfigWatch(LocalBackendPool pool) {
    this.pool = pool;
  }

  /** Watches the settings' file if they say to, else stops watching. */
  void configure(PoolSettings settings) {
    Path source = settings.source();
    if (!settings.watch() || source == null) {
      stop();
      return;
    }
    file = source;
    synchronized (this) {
      if (next != null) {
        return;
      }
    }
    schedule();
  }

  void stop() {
    file = null;
    Future<?> pending;
    synchronized (this) {
      pending = next;
      next = null;
    }
    if (pending != null) {
      pending.cancel(false);
    }
  }

  boolean isWatching() {
    return file != null;
  }

  private void schedule() {
    Future<?> task = pool.schedule(this::look, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
    synchronized (this) {
      next = file == null ? null : task;
    }
    if (task != null && file == null) {
      task.cancel(false); // stopped meanwhile
    }
  }

  private void look() {
    Path watched = file;
    if (watched == null) {
      return;
    }
    if (!watched.equals(looked)) {
      // A new file to watch (the first, or a reload from another path): what it holds now is
      // what the pool loaded.
      looked = watched;
      loaded = Fingerprint.of(watched);
      changed = null;
    } else {
      Fingerprint now = Fingerprint.of(watched);
      if (Objects.equals(now, loaded)) {
        changed = null;
      } else if (!Objects.equals(now, changed)) {
        changed = now; // look once more: reload when it holds still
      } else {
        loaded = now;
        changed = null;
        reload(watched);
      }
    }
    synchronized (this) {
      next = null;
    }
    if (file != null) {
      schedule();
    }
  }

  private void reload(Path watched) {
    try {
      pool.reload(watched);
    } catch (PoolConfigException e) {
      log.error(
          "{} changed but was not reloaded; the pool keeps its configuration:\n{}",
          watched,
          e.getMessage());
    } catch (RuntimeException e) {
      log.error("{} changed but was not reloaded", watched, e);
    }
  }

  /** What tells that a file changed; null fields for a file that cannot be read. */
  private record Fingerprint(long modified, long size, @Nullable Object key) {
    static @Nullable Fingerprint of(Path file) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new Fingerprint(
            attributes.lastModifiedTime().toMillis(), attributes.size(), attributes.fileKey());
      } catch (IOException e) {
        return null; // gone for now (being replaced, say): a change, if it stays so
      }
    }
  }
}
