package dev.melange.pool.spi;

import dev.melange.pool.Backend;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.internal.DisplayText;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Checks whether one backend is up. The pool makes one probe per physical backend and check
 * settings (shared by every pool in the JVM that lists the same backend with the same settings),
 * calls {@link #check} every interval from its health scheduler, never with two checks in flight,
 * and closes the probe when no pool needs it any more.
 *
 * <p>Built in: {@code tcp} and {@code http}. Others come from a {@link Factory}, found with {@link
 * java.util.ServiceLoader} (so that YAML can name its type) or given to {@link
 * dev.melange.pool.BackendPool.Builder#healthProbe}.
 */
public interface HealthProbe extends AutoCloseable {

  /**
   * Starts one check and returns at once: the scheduler's few threads serve every backend, so this
   * must not block (use asynchronous I/O). The pool counts a stage not complete within {@code
   * timeout} as failed and cancels it ({@link java.util.concurrent.CompletableFuture#cancel}) when
   * it can; a stage that completes exceptionally, or a call that throws, counts as failed too.
   *
   * @param timeout how long the pool waits for the result; a probe may use it as its deadline
   */
  CompletionStage<Result> check(Duration timeout);

  /** Releases what the probe holds (a connection, a channel). The default does nothing. */
  @Override
  default void close() {}

  /**
   * One check's outcome.
   *
   * @param healthy whether the backend passed
   * @param detail a short word on it for status reports: {@code ok}, {@code HTTP 503}, {@code
   *     connection refused}. It may quote what a peer said, so it is kept fit for logs and
   *     terminals: control characters escaped ({@code \n}), cut after {@value #MAX_DETAIL}
   *     characters
   * @param daemon what the probe learned about the daemon (its version, its platforms), or null
   *     when it learned nothing this time; the pool keeps the last one reported
   */
  record Result(boolean healthy, String detail, @Nullable DaemonInfo daemon) {

    /** The longest detail kept, in characters. */
    public static final int MAX_DETAIL = 300;

    /** Requires the detail, and makes it fit for logs and terminals. */
    public Result {
      Objects.requireNonNull(detail, "detail");
      detail = DisplayText.shownUnquoted(detail, MAX_DETAIL);
    }

    /** A result that says nothing about the daemon. */
    public Result(boolean healthy, String detail) {
      this(healthy, detail, null);
    }

    /** A pass with a detail and what was learned about the daemon. */
    public static Result up(String detail, DaemonInfo daemon) {
      return new Result(true, detail, Objects.requireNonNull(daemon, "daemon"));
    }

    /** A pass, with detail {@code ok}. */
    public static Result up() {
      return new Result(true, "ok");
    }

    /** A pass with a detail. */
    public static Result up(String detail) {
      return new Result(true, detail);
    }

    /** A failure, and why. */
    public static Result down(String reason) {
      return new Result(false, reason);
    }
  }

  /** Makes the probes of one type, the {@code type} of a {@link HealthCheck}. */
  interface Factory {

    /** The type's name, as YAML's {@code healthCheck.type} gives it. */
    String type();

    /**
     * Whether this type's probes report the daemon's platforms ({@link Result#daemon}), so that a
     * backend checked by one may leave its arch out ({@link Backend#discover}). Default false.
     */
    default boolean discoversArch() {
      return false;
    }

    /**
     * A probe for one backend. Called when a pool first needs the backend checked with these
     * settings (at build, add or reload), so it may refuse a backend it cannot check.
     *
     * @throws IllegalArgumentException when it cannot probe this backend (its address, say); the
     *     pool reports the message and is not built, or the change is not made
     */
    HealthProbe create(Backend backend, HealthCheck check);
  }
}
