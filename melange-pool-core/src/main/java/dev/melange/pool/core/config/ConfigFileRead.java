package dev.melange.pool.core.config;

import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.time.GoDuration;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A configuration file's bytes, read within a deadline on a thread of its own: a file that blocks
 * (a FIFO swapped in after the loader checked the path, or a hung network mount) fails the read
 * after {@link #DEADLINE} with an error that says so, instead of holding its caller, and with it
 * the pool's reload lock, for good. The blocked thread cannot be freed (opening a FIFO does not
 * heed interrupts): it ends when the file answers, and at most {@link #MAX_STUCK} such threads
 * exist in the JVM; beyond them, reads are refused at once.
 *
 * <p>The file's stamp for the watch ({@link FileStamp}) is taken in the same deadline, just before
 * the read, as a stat of a hung mount blocks too.
 */
public final class ConfigFileRead {
  /** How long a read may take: far more than any local or healthy network file needs. */
  static final Duration DEADLINE = Duration.ofSeconds(10);

  /** How many reads may be stuck at once before new ones are refused without trying. */
  static final int MAX_STUCK = 4;

  private static final AtomicInteger THREADS = new AtomicInteger();

  private static final ThreadPoolExecutor READERS =
      new ThreadPoolExecutor(
          0,
          MAX_STUCK,
          1,
          TimeUnit.MINUTES,
          new SynchronousQueue<>(),
          runnable -> {
            Thread thread =
                new Thread(runnable, "melange-pool-config-read-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          });

  /** What was read: the bytes (at most the limit plus one), and the stamp taken before. */
  static final class Content {
    private final byte[] bytes;
    private final @Nullable Object stamp;

    Content(byte[] bytes, @Nullable Object stamp) {
      this.bytes = bytes;
      this.stamp = stamp;
    }

    /** The bytes read; the caller's own (nobody else holds them). */
    byte[] bytes() {
      return bytes;
    }

    @Nullable Object stamp() {
      return stamp;
    }
  }

  private ConfigFileRead() {}

  /**
   * Reads at most {@code maxBytes + 1} bytes of {@code path} (one more than allowed tells the
   * caller it is too large), within {@link #DEADLINE}.
   *
   * @throws IOException as reading the file throws it
   * @throws PoolConfigException {@code <file>: cannot read: no answer within 10s ...} when the
   *     deadline passes, or when too many earlier reads are still stuck
   */
  static Content read(Path path, int maxBytes) throws IOException {
    return read(path, maxBytes, DEADLINE);
  }

  /** {@link #read(Path, int)} within {@code deadline}: tests pass a short one. */
  static Content read(Path path, int maxBytes, Duration deadline) throws IOException {
    Future<Content> read;
    try {
      read =
          READERS.submit(
              () -> {
                Object stamp = FileStamp.of(path);
                try (InputStream in = Files.newInputStream(path)) {
                  return new Content(in.readNBytes(maxBytes + 1), stamp);
                }
              });
    } catch (RejectedExecutionException e) {
      throw problem(
          path,
          "cannot read: "
              + MAX_STUCK
              + " earlier reads of configuration files are still stuck (a pipe, a device or a"
              + " hung mount?)",
          e);
    }
    try {
      return read.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      read.cancel(true);
      throw problem(
          path,
          "cannot read: no answer within "
              + GoDuration.format(deadline)
              + " (a pipe, a device or a hung mount?)",
          e);
    } catch (InterruptedException e) {
      read.cancel(true);
      Thread.currentThread().interrupt();
      throw problem(path, "cannot read: interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw problem(path, "cannot read: " + cause, cause);
    }
  }

  private static PoolConfigException problem(Path path, String text, @Nullable Throwable cause) {
    return new PoolConfigException(List.of(path + ": " + text), 0, 0, cause);
  }
}
