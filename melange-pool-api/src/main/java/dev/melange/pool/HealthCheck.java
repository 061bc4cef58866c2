package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * How a backend's health is checked: which probe, how often, and how results turn into health. The
 * YAML key {@code healthCheck} reads into one of these, pool-wide or per backend.
 *
 * <p>Two models turn probe results into health. {@link Model#CONSECUTIVE}: a healthy backend turns
 * unhealthy after {@code unhealthyThreshold} failures in a row, an unhealthy one healthy after
 * {@code healthyThreshold} successes in a row. {@link Model#WINDOW} (Varnish's): healthy while at
 * least {@code threshold} of the last {@code window} probes succeeded, counting {@code initial}
 * successes assumed at the start. Either way, a backend whose health is {@link Health#UNKNOWN}
 * (probed never yet, and not assumed healthy by {@code initial}) takes its health from its first
 * result.
 *
 * <pre>{@code
 * HealthCheck.http("/healthz").withInterval(Duration.ofSeconds(2)).window(8, 3)
 * }</pre>
 *
 * @param type the probe: {@code tcp} (a connect), {@code http} (a GET of {@code path}), or a type a
 *     {@link dev.melange.pool.spi.HealthProbe.Factory} provides
 * @param interval how long from the start of one probe to the start of the next, before jitter; at
 *     least {@link #MIN_INTERVAL}
 * @param timeout how long a probe may take before it counts as failed; at least {@link
 *     #MIN_TIMEOUT}
 * @param jitter up to how much, in percent of the interval (0–100), a random delay is added to each
 *     interval, so that probes of many backends spread out
 * @param model how results turn into health
 * @param healthyThreshold {@link Model#CONSECUTIVE}: successes in a row that make an unhealthy
 *     backend healthy
 * @param unhealthyThreshold {@link Model#CONSECUTIVE}: failures in a row that make a healthy
 *     backend unhealthy
 * @param window {@link Model#WINDOW}: how many of the latest results count, 1 to {@value
 *     #MAX_WINDOW}
 * @param threshold {@link Model#WINDOW}: the successes among them that make the backend healthy
 * @param initial {@link Model#WINDOW}: successes assumed at the start; below {@code threshold}, a
 *     new backend is unhealthy until its first good probe
 * @param path {@code http}: the path to GET, starting with {@code /}; null for other types
 * @param expectedStatus {@code http}: the status that means healthy, or 0 for any 2xx
 * @param port the port to probe, or 0 for the backend address's own
 */
public record HealthCheck(
    String type,
    Duration interval,
    Duration timeout,
    double jitter,
    Model model,
    int healthyThreshold,
    int unhealthyThreshold,
    int window,
    int threshold,
    int initial,
    @Nullable String path,
    int expectedStatus,
    int port) {

  /** The probe type that connects over TCP and hangs up. */
  public static final String TCP = "tcp";

  /** The probe type that sends an HTTP GET. */
  public static final String HTTP = "http";

  /** The longest window the window model keeps. */
  public static final int MAX_WINDOW = 64;

  /** The default interval: 5s. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

  /** The default timeout: 2s. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /**
   * The shortest interval, 100ms: a backend probed more often gains nothing, while the probes of
   * every pool in the JVM share two scheduler threads, which a 1ns interval would keep busy.
   */
  public static final Duration MIN_INTERVAL = Duration.ofMillis(100);

  /**
   * The shortest timeout, 10ms: below it, no real probe answers in time, and the backend would be
   * unhealthy for good.
   */
  public static final Duration MIN_TIMEOUT = Duration.ofMillis(10);

  /**
   * The longest interval and timeout, a day: a check that rare checks nothing, and durations near
   * the largest a {@link Duration} holds overflowed the scheduler's arithmetic into a probe loop.
   */
  public static final Duration MAX_INTERVAL = Duration.ofDays(1);

  /** The default jitter: up to 20% of the interval. */
  public static final double DEFAULT_JITTER = 20;

  /** How probe results turn into health. */
  public enum Model {
    /** Thresholds of results in a row (HAProxy's rise and fall, sozu's thresholds). */
    CONSECUTIVE,
    /** At least k of the last n results (Varnish's window and threshold). */
    WINDOW
  }

  /**
   * Checks every setting.
   *
   * @throws IllegalArgumentException naming the setting and its value: among others {@code interval
   *     must be >= 100ms, was <d>}, {@code timeout must be >= 10ms, was <d>}, either above {@link
   *     #MAX_INTERVAL}, and a type or path with control characters
   */
  public HealthCheck {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(model, "model");
    require(!type.isBlank(), "type must not be blank");
    require(
        DisplayText.firstControl(type) < 0,
        "type must not contain control characters, was " + DisplayText.quoted(type));
    require(!interval.isNegative() && !interval.isZero(), "interval must be > 0, was " + interval);
    require(interval.compareTo(MIN_INTERVAL) >= 0, "interval must be >= 100ms, was " + interval);
    require(interval.compareTo(MAX_INTERVAL) <= 0, "interval must be <= 24h, was " + interval);
    require(!timeout.isNegative() && !timeout.isZero(), "timeout must be > 0, was " + timeout);
    require(timeout.compareTo(MIN_TIMEOUT) >= 0, "timeout must be >= 10ms, was " + timeout);
    require(timeout.compareTo(MAX_INTERVAL) <= 0, "timeout must be <= 24h, was " + timeout);
    require(
        jitter >= 0 && jitter <= 100, "jitter must be a percentage from 0 to 100, was " + jitter);
    jitter += 0.0; // -0.0 is 0: equal checks are one check
    require(healthyThreshold >= 1, "healthyThreshold must be >= 1, was " + healthyThreshold);
    require(unhealthyThreshold >= 1, "unhealthyThreshold must be >= 1, was " + unhealthyThreshold);
    require(
        window >= 1 && window <= MAX_WINDOW,
        "window must be from 1 to " + MAX_WINDOW + ", was " + window);
    require(
        threshold >= 1 && threshold <= window,
        "threshold must be from 1 to window (" + window + "), was " + threshold);
    require(
        initial >= 0 && initial <= window,
        "initial must be from 0 to window (" + window + "), was " + initial);
    if (type.equals(HTTP)) {
      require(path != null, "path is required for an http health check");
    }
    require(
        path == null || (path.startsWith("/") && path.chars().noneMatch(Character::isWhitespace)),
        "path must start with / and contain no whitespace, was "
            + DisplayText.quoted(String.valueOf(path)));
    require(
        path == null || DisplayText.firstControl(path) < 0,
        "path must not contain control characters, was "
            + DisplayText.quoted(String.valueOf(path)));
    require(
        expectedStatus == 0 || (expectedStatus >= 100 && expectedStatus <= 599),
        "expectedStatus must be from 100 to 599 (or 0 for any 2xx), was " + expectedStatus);
    require(port >= 0 && port <= 65535, "port must be from 0 to 65535, was " + port);
  }

  /** A TCP connect every 5s, timeout 2s, jitter 20%, consecutive thresholds 2 and 3. */
  public static HealthCheck tcp() {
    return of(TCP);
  }

  /** An HTTP GET of {@code path}, healthy on any 2xx; otherwise as {@link #tcp()}. */
  public static HealthCheck http(String path) {
    return of(HTTP).withPath(path);
  }

  /**
   * A check of the given probe type with the default settings: every 5s, timeout 2s, jitter 20%,
   * consecutive thresholds 2 (healthy) and 3 (unhealthy); window 8, threshold 3, initial 2 if the
   * window model is chosen.
   */
  public static HealthCheck of(String type) {
    Objects.requireNonNull(type, "type");
    return new HealthCheck(
        type,
        DEFAULT_INTERVAL,
        DEFAULT_TIMEOUT,
        DEFAULT_JITTER,
        Model.CONSECUTIVE,
        2,
        3,
        8,
        3,
        2,
        type.equals(HTTP) ? "/" : null,
        0,
        0);
  }

  /** This check with another interval. */
  public HealthCheck withInterval(Duration interval) {
    return edit(draft -> draft.interval = interval);
  }

  /** This check with another timeout. */
  public HealthCheck withTimeout(Duration timeout) {
    return edit(draft -> draft.timeout = timeout);
  }

  /** This check with another jitter, in percent of the interval (0–100). */
  public HealthCheck withJitter(double jitter) {
    return edit(draft -> draft.jitter = jitter);
  }

  /** This check with the consecutive model and these thresholds. */
  public HealthCheck consecutive(int healthyThreshold, int unhealthyThreshold) {
    return edit(
        draft -> {
          draft.model = Model.CONSECUTIVE;
          draft.healthyThreshold = healthyThreshold;
          draft.unhealthyThreshold = unhealthyThreshold;
        });
  }

  /** This check with the window model: {@code threshold} of {@code window}, initial threshold-1. */
  public HealthCheck window(int window, int threshold) {
    return window(window, threshold, threshold - 1);
  }

  /** This check with the window model and every one of its settings. */
  public HealthCheck window(int window, int threshold, int initial) {
    return edit(
        draft -> {
          draft.model = Model.WINDOW;
          draft.window = window;
          draft.threshold = threshold;
          draft.initial = initial;
        });
  }

  /** This check with another HTTP path. */
  public HealthCheck withPath(String path) {
    Objects.requireNonNull(path, "path");
    return edit(draft -> draft.path = path);
  }

  /** This check healthy on exactly this HTTP status (0: any 2xx). */
  public HealthCheck withExpectedStatus(int expectedStatus) {
    return edit(draft -> draft.expectedStatus = expectedStatus);
  }

  /** This check probing another port than the backend address's (0: the address's own). */
  public HealthCheck withPort(int port) {
    return edit(draft -> draft.port = port);
  }

  /** A copy with {@code change} made to it, checked as a whole. */
  private HealthCheck edit(Consumer<Draft> change) {
    Draft draft = new Draft(this);
    change.accept(draft);
    return draft.check();
  }

  /** The settings of a check being edited; the withers change one or a few. */
  private static final class Draft {
    String type;
    Duration interval;
    Duration timeout;
    double jitter;
    Model model;
    int healthyThreshold;
    int unhealthyThreshold;
    int window;
    int threshold;
    int initial;
    @Nullable String path;
    int expectedStatus;
    int port;

    Draft(HealthCheck check) {
      type = check.type;
      interval = check.interval;
      timeout = check.timeout;
      jitter = check.jitter;
      model = check.model;
      healthyThreshold = check.healthyThreshold;
      unhealthyThreshold = check.unhealthyThreshold;
      window = check.window;
      threshold = check.threshold;
      initial = check.initial;
      path = check.path;
      expectedStatus = check.expectedStatus;
      port = check.port;
    }

    HealthCheck check() {
      return new HealthCheck(
          type,
          interval,
          timeout,
          jitter,
          model,
          healthyThreshold,
          unhealthyThreshold,
          window,
          threshold,
          initial,
          path,
          expectedStatus,
          port);
    }
  }

  private static void require(boolean valid, String message) {
    if (!valid) {
      throw new IllegalArgumentException(message);
    }
  }
}
