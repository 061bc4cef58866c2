package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.melange.pool.HealthCheck.Model;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HealthCheckTest {

  private static final Duration FIVE_SECONDS = Duration.ofSeconds(5);
  private static final Duration TWO_SECONDS = Duration.ofSeconds(2);

  // --- Defaults ---

  @Test
  void tcpHasTheDocumentedDefaults() {
    HealthCheck check = HealthCheck.tcp();

    assertThat(check.type()).isEqualTo("tcp").isEqualTo(HealthCheck.TCP);
    assertThat(check.interval()).isEqualTo(FIVE_SECONDS).isEqualTo(HealthCheck.DEFAULT_INTERVAL);
    assertThat(check.timeout()).isEqualTo(TWO_SECONDS).isEqualTo(HealthCheck.DEFAULT_TIMEOUT);
    assertThat(check.jitter()).isEqualTo(20.0).isEqualTo(HealthCheck.DEFAULT_JITTER);
    assertThat(check.model()).isEqualTo(Model.CONSECUTIVE);
    assertThat(check.healthyThreshold()).isEqualTo(2);
    assertThat(check.unhealthyThreshold()).isEqualTo(3);
    assertThat(check.window()).isEqualTo(8);
    assertThat(check.threshold()).isEqualTo(3);
    assertThat(check.initial()).isEqualTo(2);
    assertThat(check.path()).isNull();
    assertThat(check.expectedStatus()).isZero();
    assertThat(check.port()).isZero();
  }

  @Test
  void httpHasTheTcpDefaultsPlusItsPath() {
    HealthCheck check = HealthCheck.http("/healthz");

    assertThat(check.type()).isEqualTo("http").isEqualTo(HealthCheck.HTTP);
    assertThat(check.path()).isEqualTo("/healthz");
    assertThat(check.expectedStatus()).isZero();
    assertThat(check)
        .usingRecursiveComparison()
        .ignoringFields("type", "path")
        .isEqualTo(HealthCheck.tcp());
  }

  @Test
  void ofHttpDefaultsThePathToTheRoot() {
    HealthCheck check = HealthCheck.of("http");

    assertThat(check.path()).isEqualTo("/");
    assertThat(check).isEqualTo(HealthCheck.http("/"));
  }

  @Test
  void ofTcpIsTcp() {
    assertThat(HealthCheck.of("tcp")).isEqualTo(HealthCheck.tcp());
  }

  @Test
  void ofAnotherTypeHasTheDefaultsAndNoPath() {
    HealthCheck check = HealthCheck.of("grpc");

    assertThat(check.type()).isEqualTo("grpc");
    assertThat(check.path()).isNull();
    assertThat(check)
        .usingRecursiveComparison()
        .ignoringFields("type")
        .isEqualTo(HealthCheck.tcp());
  }

  @Test
  void constantsAreTheDocumentedValues() {
    assertThat(HealthCheck.MAX_WINDOW).isEqualTo(64);
    assertThat(HealthCheck.DEFAULT_INTERVAL).isEqualTo(FIVE_SECONDS);
    assertThat(HealthCheck.DEFAULT_TIMEOUT).isEqualTo(TWO_SECONDS);
    assertThat(HealthCheck.DEFAULT_JITTER).isEqualTo(20.0);
  }

  // --- Withers ---

  @Test
  void withIntervalChangesOnlyTheInterval() {
    HealthCheck original = HealthCheck.http("/h");

    HealthCheck changed = original.withInterval(Duration.ofMillis(750));

    assertThat(changed.interval()).isEqualTo(Duration.ofMillis(750));
    assertThat(changed).usingRecursiveComparison().ignoringFields("interval").isEqualTo(original);
    assertThat(original.interval()).isEqualTo(FIVE_SECONDS);
  }

  @Test
  void withTimeoutChangesOnlyTheTimeout() {
    HealthCheck original = HealthCheck.http("/h");

    HealthCheck changed = original.withTimeout(Duration.ofMillis(300));

    assertThat(changed.timeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(changed).usingRecursiveComparison().ignoringFields("timeout").isEqualTo(original);
  }

  @Test
  void withJitterChangesOnlyTheJitter() {
    HealthCheck original = HealthCheck.http("/h");

    HealthCheck changed = original.withJitter(12.5);

    assertThat(changed.jitter()).isEqualTo(12.5);
    assertThat(changed).usingRecursiveComparison().ignoringFields("jitter").isEqualTo(original);
  }

  @Test
  void consecutiveSetsTheModelAndBothThresholds() {
    HealthCheck original = HealthCheck.tcp().window(8, 3);

    HealthCheck changed = original.consecutive(4, 5);

    assertThat(changed.model()).isEqualTo(Model.CONSECUTIVE);
    assertThat(changed.healthyThreshold()).isEqualTo(4);
    assertThat(changed.unhealthyThreshold()).isEqualTo(5);
    assertThat(changed)
        .usingRecursiveComparison()
        .ignoringFields("model", "healthyThreshold", "unhealthyThreshold")
        .isEqualTo(original);
  }

  @Test
  void windowOfTwoSetsTheModelAndInitialOneBelowTheThreshold() {
    HealthCheck original = HealthCheck.tcp();

    HealthCheck changed = original.window(10, 4);

    assertThat(changed.model()).isEqualTo(Model.WINDOW);
    assertThat(changed.window()).isEqualTo(10);
    assertThat(changed.threshold()).isEqualTo(4);
    assertThat(changed.initial()).isEqualTo(3);
    assertThat(changed)
        .usingRecursiveComparison()
        .ignoringFields("model", "window", "threshold", "initial")
        .isEqualTo(original);
  }

  @Test
  void windowOfOneOfOneStartsWithNoAssumedSuccess() {
    HealthCheck check = HealthCheck.tcp().window(1, 1);

    assertThat(check.window()).isEqualTo(1);
    assertThat(check.threshold()).isEqualTo(1);
    assertThat(check.initial()).isZero();
  }

  @Test
  void windowOfThreeSetsEveryWindowSetting() {
    HealthCheck check = HealthCheck.tcp().window(16, 5, 16);

    assertThat(check.model()).isEqualTo(Model.WINDOW);
    assertThat(check.window()).isEqualTo(16);
    assertThat(check.threshold()).isEqualTo(5);
    assertThat(check.initial()).isEqualTo(16);
    assertThat(HealthCheck.tcp().window(8, 3)).isEqualTo(HealthCheck.tcp().window(8, 3, 2));
  }

  @Test
  void withPathChangesOnlyThePath() {
    HealthCheck original = HealthCheck.http("/a");

    HealthCheck changed = original.withPath("/b?full=1");

    assertThat(changed.path()).isEqualTo("/b?full=1");
    assertThat(changed).usingRecursiveComparison().ignoringFields("path").isEqualTo(original);
  }

  @Test
  @SuppressWarnings("NullAway") // callers outside null-checked code can pass null
  void withPathRefusesNull() {
    assertThatNullPointerException()
        .isThrownBy(() -> HealthCheck.http("/a").withPath(null))
        .withMessage("path");
    assertThatNullPointerException().isThrownBy(() -> HealthCheck.http(null)).withMessage("path");
  }

  @Test
  void withExpectedStatusChangesOnlyTheStatus() {
    HealthCheck original = HealthCheck.http("/h");

    HealthCheck changed = original.withExpectedStatus(204);

    assertThat(changed.expectedStatus()).isEqualTo(204);
    assertThat(changed)
        .usingRecursiveComparison()
        .ignoringFields("expectedStatus")
        .isEqualTo(original);
    assertThat(changed.withExpectedStatus(0)).isEqualTo(original);
  }

  @Test
  void withPortChangesOnlyThePort() {
    HealthCheck original = HealthCheck.tcp();

    HealthCheck changed = original.withPort(8080);

    assertThat(changed.port()).isEqualTo(8080);
    assertThat(changed).usingRecursiveComparison().ignoringFields("port").isEqualTo(original);
    assertThat(changed.withPort(0)).isEqualTo(original);
  }

  @Test
  void withersChainAndLeaveTheOriginalAlone() {
    HealthCheck original = HealthCheck.http("/healthz");

    HealthCheck changed =
        original
            .withInterval(TWO_SECONDS)
            .withTimeout(Duration.ofSeconds(1))
            .withJitter(0)
            .window(8, 3)
            .withExpectedStatus(200)
            .withPort(9000);

    assertThat(changed)
        .isEqualTo(
            new HealthCheck(
                "http",
                TWO_SECONDS,
                Duration.ofSeconds(1),
                0,
                Model.WINDOW,
                2,
                3,
                8,
                3,
                2,
                "/healthz",
                200,
                9000));
    assertThat(original).isEqualTo(HealthCheck.http("/healthz"));
  }

  // --- Validation ---

  @Test
  @SuppressWarnings("NullAway") // callers outside null-checked code can pass null
  void nullRequiredComponentsAreRefusedByName() {
    assertThatNullPointerException()
        .isThrownBy(() -> check(null, FIVE_SECONDS, TWO_SECONDS, Model.CONSECUTIVE))
        .withMessage("type");
    assertThatNullPointerException()
        .isThrownBy(() -> check("tcp", null, TWO_SECONDS, Model.CONSECUTIVE))
        .withMessage("interval");
    assertThatNullPointerException()
        .isThrownBy(() -> check("tcp", FIVE_SECONDS, null, Model.CONSECUTIVE))
        .withMessage("timeout");
    assertThatNullPointerException()
        .isThrownBy(() -> check("tcp", FIVE_SECONDS, TWO_SECONDS, null))
        .withMessage("model");
    assertThatNullPointerException().isThrownBy(() -> HealthCheck.tcp().withInterval(null));
    assertThatNullPointerException().isThrownBy(() -> HealthCheck.tcp().withTimeout(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t\n"})
  void blankTypeIsRefused(String type) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HealthCheck.of(type))
        .withMessage("type must not be blank");
  }

  @Test
  void intervalMustBePositiveAndAtLeastTheMinimum() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withInterval(Duration.ZERO))
        .withMessage("interval must be > 0, was PT0S");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withInterval(Duration.ofSeconds(-1)))
        .withMessage("interval must be > 0, was PT-1S");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withInterval(Duration.ofNanos(1)))
        .withMessage("interval must be >= 100ms, was PT0.000000001S");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withInterval(Duration.ofMillis(99)))
        .withMessage("interval must be >= 100ms, was PT0.099S");
    assertThat(check.withInterval(HealthCheck.MIN_INTERVAL).interval())
        .isEqualTo(Duration.ofMillis(100));
    // Near the largest Duration, interval plus jitter overflowed into a probe loop.
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withInterval(Duration.ofHours(2_562_047)))
        .withMessage("interval must be <= 24h, was PT2562047H");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withTimeout(Duration.ofHours(25)))
        .withMessage("timeout must be <= 24h, was PT25H");
    assertThat(check.withInterval(HealthCheck.MAX_INTERVAL).interval())
        .isEqualTo(Duration.ofDays(1));
  }

  @Test
  void timeoutMustBePositiveAndAtLeastTheMinimum() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withTimeout(Duration.ZERO))
        .withMessage("timeout must be > 0, was PT0S");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withTimeout(Duration.ofMillis(-5)))
        .withMessage("timeout must be > 0, was PT-0.005S");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withTimeout(Duration.ofNanos(1)))
        .withMessage("timeout must be >= 10ms, was PT0.000000001S");
    assertThat(check.withTimeout(HealthCheck.MIN_TIMEOUT).timeout())
        .isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void jitterMustBeAPercentage() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withJitter(101))
        .withMessage("jitter must be a percentage from 0 to 100, was 101.0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withJitter(100.5))
        .withMessage("jitter must be a percentage from 0 to 100, was 100.5");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withJitter(-1))
        .withMessage("jitter must be a percentage from 0 to 100, was -1.0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withJitter(Double.NaN))
        .withMessage("jitter must be a percentage from 0 to 100, was NaN");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withJitter(Double.POSITIVE_INFINITY))
        .withMessage("jitter must be a percentage from 0 to 100, was Infinity");
    assertThat(check.withJitter(0).jitter()).isZero();
    assertThat(check.withJitter(100).jitter()).isEqualTo(100.0);
  }

  @Test
  void consecutiveThresholdsMustBeAtLeastOne() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.consecutive(0, 3))
        .withMessage("healthyThreshold must be >= 1, was 0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.consecutive(2, -1))
        .withMessage("unhealthyThreshold must be >= 1, was -1");
    assertThat(check.consecutive(1, 1))
        .extracting(HealthCheck::healthyThreshold, HealthCheck::unhealthyThreshold)
        .containsExactly(1, 1);
    assertThat(check.consecutive(Integer.MAX_VALUE, Integer.MAX_VALUE).healthyThreshold())
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void windowMustBeFromOneToSixtyFour() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(65, 3))
        .withMessage("window must be from 1 to 64, was 65");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(0, 0))
        .withMessage("window must be from 1 to 64, was 0");
    assertThat(check.window(64, 64).window()).isEqualTo(64);
    assertThat(check.window(1, 1).window()).isEqualTo(1);
  }

  @Test
  void thresholdMustBeFromOneToTheWindow() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(8, 9))
        .withMessage("threshold must be from 1 to window (8), was 9");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(8, 0, 0))
        .withMessage("threshold must be from 1 to window (8), was 0");
    // window(w, 0) would make initial -1: the threshold is named, being checked first.
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(8, 0))
        .withMessage("threshold must be from 1 to window (8), was 0");
    assertThat(check.window(8, 8).threshold()).isEqualTo(8);
  }

  @Test
  void initialMustBeFromZeroToTheWindow() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(8, 3, 9))
        .withMessage("initial must be from 0 to window (8), was 9");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.window(8, 3, -1))
        .withMessage("initial must be from 0 to window (8), was -1");
    assertThat(check.window(8, 3, 0).initial()).isZero();
    assertThat(check.window(8, 3, 8).initial()).isEqualTo(8);
  }

  @Test
  void windowSettingsAreCheckedWhicheverModelIsChosen() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                new HealthCheck(
                    "tcp",
                    FIVE_SECONDS,
                    TWO_SECONDS,
                    20,
                    Model.CONSECUTIVE,
                    2,
                    3,
                    4,
                    5,
                    2,
                    null,
                    0,
                    0))
        .withMessage("threshold must be from 1 to window (4), was 5");
  }

  @Test
  void httpNeedsAPath() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                new HealthCheck(
                    "http",
                    FIVE_SECONDS,
                    TWO_SECONDS,
                    20,
                    Model.CONSECUTIVE,
                    2,
                    3,
                    8,
                    3,
                    2,
                    null,
                    0,
                    0))
        .withMessage("path is required for an http health check");
  }

  @ParameterizedTest
  @ValueSource(strings = {"healthz", "", " /healthz", "/health z"})
  void pathMustStartWithASlashAndHaveNoWhitespace(String path) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HealthCheck.http(path))
        .withMessage("path must start with / and contain no whitespace, was \"" + path + "\"");
  }

  @Test
  void aRefusedPathIsShownWithItsControlCharactersEscaped() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HealthCheck.http("/a\nb"))
        .withMessage("path must start with / and contain no whitespace, was \"/a\\nb\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HealthCheck.http("/healthz\t"))
        .withMessage("path must start with / and contain no whitespace, was \"/healthz\\t\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HealthCheck.http("/\u001b[31mok"))
        .withMessage("path must not contain control characters, was \"/\\u001b[31mok\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> HealthCheck.of("tcp\u202e"))
        .withMessage("type must not contain control characters, was \"tcp\\u202e\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/healthz", "/ready?verbose=1", "/a/b%20c"})
  void wellFormedPathsAreTaken(String path) {
    assertThat(HealthCheck.http(path).path()).isEqualTo(path);
  }

  @Test
  void expectedStatusMustBeAnHttpStatusOrZero() {
    HealthCheck check = HealthCheck.http("/");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withExpectedStatus(99))
        .withMessage("expectedStatus must be from 100 to 599 (or 0 for any 2xx), was 99");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withExpectedStatus(600))
        .withMessage("expectedStatus must be from 100 to 599 (or 0 for any 2xx), was 600");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withExpectedStatus(-1))
        .withMessage("expectedStatus must be from 100 to 599 (or 0 for any 2xx), was -1");
    assertThat(check.withExpectedStatus(100).expectedStatus()).isEqualTo(100);
    assertThat(check.withExpectedStatus(599).expectedStatus()).isEqualTo(599);
    assertThat(check.withExpectedStatus(0).expectedStatus()).isZero();
  }

  @Test
  void portMustBeATcpPortOrZero() {
    HealthCheck check = HealthCheck.tcp();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withPort(65536))
        .withMessage("port must be from 0 to 65535, was 65536");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> check.withPort(-1))
        .withMessage("port must be from 0 to 65535, was -1");
    assertThat(check.withPort(65535).port()).isEqualTo(65535);
    assertThat(check.withPort(1).port()).isEqualTo(1);
  }

  // --- Equality: checks are sharing keys ---

  @Test
  void checksWithEqualSettingsAreEqualHowEverTheyWereMade() {
    HealthCheck one = HealthCheck.http("/healthz").withInterval(TWO_SECONDS).window(8, 3);
    HealthCheck other =
        HealthCheck.of("http")
            .window(8, 3, 2)
            .withPath("/healthz")
            .withInterval(Duration.ofSeconds(2));

    assertThat(one).isEqualTo(other).hasSameHashCodeAs(other);
    assertThat(HealthCheck.tcp()).isEqualTo(HealthCheck.tcp().withInterval(FIVE_SECONDS));
  }

  @Test
  void anyDifferingSettingMakesChecksUnequal() {
    HealthCheck base = HealthCheck.http("/healthz");

    assertThat(base)
        .isNotEqualTo(HealthCheck.http("/ready"))
        .isNotEqualTo(HealthCheck.of("https-like"))
        .isNotEqualTo(base.withInterval(Duration.ofSeconds(6)))
        .isNotEqualTo(base.withTimeout(Duration.ofSeconds(3)))
        .isNotEqualTo(base.withJitter(21))
        .isNotEqualTo(base.consecutive(3, 3))
        .isNotEqualTo(base.window(8, 3))
        .isNotEqualTo(base.withExpectedStatus(200))
        .isNotEqualTo(base.withPort(8080));
    assertThat(base.window(8, 3)).isNotEqualTo(base.window(8, 3, 3));
    assertThat(HealthCheck.tcp()).isNotEqualTo(HealthCheck.of("http"));
  }

  @Test
  void equalChecksShareOneKeyInHashedCollections() {
    Map<HealthCheck, String> monitors = new HashMap<>();
    monitors.put(HealthCheck.tcp(), "first");
    monitors.put(HealthCheck.of("tcp"), "second");
    monitors.put(HealthCheck.http("/"), "http");

    Set<HealthCheck> distinct = new HashSet<>(monitors.keySet());
    distinct.add(HealthCheck.of("http"));

    assertThat(monitors).hasSize(2).containsEntry(HealthCheck.tcp(), "second");
    assertThat(distinct).hasSize(2);
  }

  private static HealthCheck check(
      @Nullable String type,
      @Nullable Duration interval,
      @Nullable Duration timeout,
      @Nullable Model model) {
    return new HealthCheck(type, interval, timeout, 20, model, 2, 3, 8, 3, 2, null, 0, 0);
  }
}
