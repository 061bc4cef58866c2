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

  /** The file's state when the pool last loaded it, as {@link #configure} saw it. */
  private volatile @Nullable Loaded configured;

  /** Timer thread only: the load last taken in, the file's state then, and a change seen. */
  private @Nullable Loaded adopted;

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
    configured = new Loaded(Fingerprint.of(source));
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
    Loaded last = configured;
    if (last != adopted) {
      // The pool loaded a file since the last look (at build, or a reload from any caller):
      // compare with what the file held then.
      adopted = last;
      loaded = last == null ? null : last.fingerprint();
      changed = null;
    }
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

  /** One load of the file by the pool (told apart by identity), with the file's state then. */
  private static final class Loaded {
    private final @Nullable Fingerprint fingerprint;

    Loaded(@Nullable Fingerprint fingerprint) {
      this.fingerprint = fingerprint;
    }

    @Nullable Fingerprint fingerprint() {
      return fingerprint;
    }
  }

  /** What tells that a file changed. */
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
