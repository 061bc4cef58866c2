package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.HealthCheck.Model;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.PoolSettingsReader;
import dev.melange.pool.core.config.YamlPoolConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/** {@code healthCheck} and {@code watch} as {@link YamlPoolConfigLoader} reads them. */
class HealthCheckYamlTest {

  private static final String A = "tcp://a:1234";
  private static final String B = "tcp://b:1234";
  private static final String C = "tcp://c:1234";

  /** One backend, lines 1 to 3; a pool-wide {@code healthCheck} may follow from line 4. */
  private static final String ONE_BACKEND =
      """
      backends:
        - addr: tcp://a:1234
          arch: x86_64
      """;

  private static final String TWO_BACKENDS =
      """
      backends:
        - addr: tcp://a:1234
          arch: x86_64
        - addr: tcp://b:1234
          arch: aarch64
      """;

  @SuppressWarnings("NullAway.Init") // JUnit sets it before each test
  @TempDir
  Path dir;

  // --- Which backends are checked, and with what ---

  @Test
  void noHealthCheckKeyMeansNoChecksAndNoWatch() throws IOException {
    PoolSettings settings = load(ONE_BACKEND);

    assertThat(settings.healthCheck()).isNull();
    assertThat(settings.healthChecks()).isEmpty();
    assertThat(settings.watch()).isFalse();
  }

  @Test
  void poolWideCheckAppliesToEveryBackend() throws IOException {
    PoolSettings settings =
        load(
            TWO_BACKENDS
                + """
                healthCheck:
                  type: http
                  path: /healthz
                  interval: 10s
                """);

    HealthCheck expected = HealthCheck.http("/healthz").withInterval(Duration.ofSeconds(10));
    assertThat(settings.healthCheck()).isEqualTo(expected);
    assertThat(settings.healthChecks()).containsOnly(entry(A, expected), entry(B, expected));
  }

  @Test
  void poolWideCheckAlsoCoversBackendsAddedLater() throws IOException {
    PoolSettings settings = load(ONE_BACKEND + "healthCheck: {}\n");

    assertThat(settings.healthCheckOfAdded(Backend.of("tcp://later:1234", "x86_64")))
        .isEqualTo(HealthCheck.tcp());
    assertThat(settings.healthCheckOf(Backend.of(A, "x86_64"))).isEqualTo(HealthCheck.tcp());
  }

  @Test
  void anEmptyMappingIsATcpCheckWithEveryDefault() throws IOException {
    PoolSettings settings = load(ONE_BACKEND + "healthCheck: {}\n");

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.tcp());
    assertThat(settings.healthChecks()).containsOnly(entry(A, HealthCheck.tcp()));
  }

  @Test
  void typeDefaultsToTcp() throws IOException {
    PoolSettings settings = load(ONE_BACKEND + "healthCheck:\n  timeout: 500ms\n");

    assertThat(settings.healthCheck())
        .isEqualTo(HealthCheck.tcp().withTimeout(Duration.ofMillis(500)));
  }

  @Test
  void httpWithoutPathGetsTheRoot() throws IOException {
    PoolSettings settings = load(ONE_BACKEND + "healthCheck:\n  type: http\n");

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.http("/"));
  }

  @Test
  void everyKeyIsRead() throws IOException {
    PoolSettings settings =
        load(
            ONE_BACKEND
                + """
                healthCheck:
                  type: http
                  interval: 1m30s
                  timeout: 750ms
                  jitter: 5
                  model: window
                  window: 16
                  threshold: 10
                  initial: 4
                  path: /ready?full=1
                  expectedStatus: 204
                  port: 8080
                """);

    assertThat(settings.healthCheck())
        .isEqualTo(
            new HealthCheck(
                "http",
                Duration.ofSeconds(90),
                Duration.ofMillis(750),
                5,
                Model.WINDOW,
                2,
                3,
                16,
                10,
                4,
                "/ready?full=1",
                204,
                8080));
  }

  @Test
  void consecutiveThresholdsAreRead() throws IOException {
    PoolSettings settings =
        load(
            ONE_BACKEND
                + """
                healthCheck:
                  model: consecutive
                  healthyThreshold: 1
                  unhealthyThreshold: 5
                """);

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.tcp().consecutive(1, 5));
  }

  @Test
  void backendOverrideMergesKeyByKeyOverThePoolWideCheck() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck:
                  interval: 1s
              - addr: tcp://b:1234
                arch: x86_64
                healthCheck: {path: /ready, jitter: 0}
              - addr: tcp://c:1234
                arch: x86_64
            healthCheck:
              type: http
              path: /healthz
              interval: 10s
              expectedStatus: 204
            """);

    HealthCheck pool =
        HealthCheck.http("/healthz").withInterval(Duration.ofSeconds(10)).withExpectedStatus(204);
    assertThat(settings.healthCheck()).isEqualTo(pool);
    assertThat(settings.healthChecks())
        .containsOnly(
            entry(A, pool.withInterval(Duration.ofSeconds(1))),
            entry(B, pool.withPath("/ready").withJitter(0)),
            entry(C, pool));
  }

  @Test
  void backendOverrideMergesWindowSettings() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {threshold: 6}
              - addr: tcp://b:1234
                arch: x86_64
                healthCheck: {model: consecutive}
            healthCheck: {model: window, window: 10, threshold: 4}
            """);

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.tcp().window(10, 4));
    // The initial count follows the threshold in effect, not the pool-wide one.
    assertThat(settings.healthChecks().get(A)).isEqualTo(HealthCheck.tcp().window(10, 6, 5));
    HealthCheck b = settings.healthChecks().get(B);
    assertThat(b).isNotNull();
    assertThat(b.model()).isEqualTo(Model.CONSECUTIVE);
  }

  @Test
  void backendCheckWithoutAPoolWideOneAppliesToThatBackendOnly() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {type: http, path: /healthz}
              - addr: tcp://b:1234
                arch: x86_64
            """);

    assertThat(settings.healthCheck()).isNull();
    assertThat(settings.healthChecks()).containsOnly(entry(A, HealthCheck.http("/healthz")));
    assertThat(settings.healthCheckOf(settings.backends().get(1))).isNull();
  }

  @Test
  void healthCheckFalseOnABackendTurnsItOff() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: false
              - addr: tcp://b:1234
                arch: x86_64
            healthCheck: {type: http, path: /healthz}
            """);

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.http("/healthz"));
    assertThat(settings.healthChecks()).containsOnly(entry(B, HealthCheck.http("/healthz")));
    // Configured without a check: not given the pool-wide one either.
    assertThat(settings.healthCheckOf(settings.backends().get(0))).isNull();
  }

  @Test
  void healthCheckFalseOrNullPoolWideIsNoCheck() throws IOException {
    for (String off : List.of("healthCheck: false\n", "healthCheck: False\n", "healthCheck:\n")) {
      PoolSettings settings = load(ONE_BACKEND + off);

      assertThat(settings.healthCheck()).as(off).isNull();
      assertThat(settings.healthChecks()).as(off).isEmpty();
    }
  }

  @Test
  void anEmptyHealthCheckOnABackendKeepsThePoolWideOne() throws IOException {
    // Only false turns a check off: a key left empty (its content commented out) overrides nothing.
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck:
            healthCheck: {}
            """);

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.tcp());
    assertThat(settings.healthChecks())
        .containsExactly(Map.entry("tcp://a:1234", HealthCheck.tcp()));
  }

  @Test
  void backendOverridingTypeDoesNotInheritHttpOnlyKeys() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {type: tcp}
              - addr: tcp://b:1234
                arch: x86_64
                healthCheck: {type: http}
            healthCheck:
              type: http
              path: /healthz
              expectedStatus: 204
              interval: 10s
            """);

    Duration tenSeconds = Duration.ofSeconds(10);
    // Other settings still carry over; only the http ones are dropped.
    assertThat(settings.healthChecks().get(A))
        .isEqualTo(HealthCheck.tcp().withInterval(tenSeconds));
    // The same type named again keeps them.
    assertThat(settings.healthChecks().get(B))
        .isEqualTo(HealthCheck.http("/healthz").withExpectedStatus(204).withInterval(tenSeconds));
  }

  @Test
  void backendOverridingTcpWithHttpGetsTheHttpDefaults() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {type: http}
            healthCheck: {interval: 3s}
            """);

    assertThat(settings.healthChecks().get(A))
        .isEqualTo(HealthCheck.http("/").withInterval(Duration.ofSeconds(3)));
  }

  // --- The window model ---

  @Test
  void windowModelTakesTheWindowDefaults() throws IOException {
    assertThat(poolCheck("{model: window}")).isEqualTo(HealthCheck.tcp().window(8, 3, 2));
  }

  @Test
  void windowModelInitialDefaultsToOneBelowTheThreshold() throws IOException {
    assertThat(poolCheck("{model: window, window: 16, threshold: 10}"))
        .isEqualTo(HealthCheck.tcp().window(16, 10, 9));
    assertThat(poolCheck("{model: window, threshold: 1}"))
        .isEqualTo(HealthCheck.tcp().window(8, 1, 0));
    assertThat(poolCheck("{model: window, threshold: 8, initial: 8}"))
        .isEqualTo(HealthCheck.tcp().window(8, 8, 8));
    assertThat(poolCheck("{model: window, initial: 0}"))
        .isEqualTo(HealthCheck.tcp().window(8, 3, 0));
  }

  @Test
  void aWindowSmallerThanTheDefaultThresholdLowersTheThreshold() throws IOException {
    assertThat(poolCheck("{model: window, window: 2}"))
        .isEqualTo(HealthCheck.tcp().window(2, 2, 1));
    assertThat(poolCheck("{model: window, window: 1}"))
        .isEqualTo(HealthCheck.tcp().window(1, 1, 0));
  }

  @Test
  void modelNamesAreExactLikeTypeNames() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck: {model: Window}\n")))
        .containsExactly(
            "backends.yaml:4:22: healthCheck.model: unknown model \"Window\", did you mean"
                + " window?");
  }

  // --- Jitter, a percentage ---

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "50       | 50",
        "12.5     | 12.5",
        "'\"50%\"' | 50",
        "50%      | 50",
        "12.5%    | 12.5",
        "0        | 0",
        "0%       | 0",
        "100      | 100",
        "100%     | 100",
        "1e1      | 10",
      })
  void jitterIsANumberOrAPercentage(String written, double expected) throws IOException {
    assertThat(poolCheck("\n  jitter: " + written).jitter()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "150       | 150",
        "-1        | -1",
        "'\"abc\"' | '\"abc\"'",
        "abc       | '\"abc\"'",
        "50 %      | '\"50 %\"'",
        "150%      | '\"150%\"'",
        "-5%       | '\"-5%\"'",
        "'\"50\"'  | '\"50\"'",
        ".nan      | .nan",
        ".inf      | .inf",
        "'[50]'    | a sequence",
      })
  void jitterOutsideZeroToHundredOrNotANumberIsRefused(String written, String shown)
      throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  jitter: " + written + "\n")))
        .containsExactly(
            "backends.yaml:5:11: healthCheck.jitter: must be a percentage from 0 to 100 (50 or"
                + " 50%), was "
                + shown);
  }

  // --- Refusals of single values ---

  @Test
  void unknownKeysAreRefusedWithSuggestions() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {intervl: 1s}
            healthCheck:
              Timeout: 1s
              expectStatus: 200
              retries: 3
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:19: backends[0].healthCheck.intervl: unknown key, did you mean"
                + " interval?",
            "backends.yaml:6:3: healthCheck.Timeout: unknown key, did you mean timeout?",
            "backends.yaml:7:3: healthCheck.expectStatus: unknown key, did you mean"
                + " expectedStatus?",
            "backends.yaml:8:3: healthCheck.retries: unknown key, expected one of type, interval,"
                + " timeout, jitter, model, healthyThreshold, unhealthyThreshold, window,"
                + " threshold, initial, path, expectedStatus, port");
  }

  @Test
  void healthCheckIsAKnownKeyAtTheTopAndInABackend() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healtCheck: {}\n")))
        .containsExactly("backends.yaml:4:1: healtCheck: unknown key, did you mean healthCheck?");
    assertThat(
            problems(
                refused("backends:\n  - {addr: tcp://a:1, arch: x86_64, healthcheck: false}\n")))
        .containsExactly(
            "backends.yaml:2:37: backends[0].healthcheck: unknown key, did you mean healthCheck?");
  }

  @Test
  void unknownTypeIsRefusedWithASuggestion() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  type: tpc\n")))
        .containsExactly(
            "backends.yaml:5:9: healthCheck.type: unknown health check type \"tpc\", did you mean"
                + " tcp?");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  type: grpc\n")))
        .containsExactly(
            "backends.yaml:5:9: healthCheck.type: unknown health check type \"grpc\", expected one"
                + " of tcp, http");
  }

  @Test
  void typeIsCaseSensitive() throws IOException {
    // Unlike model; see the report.
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  type: HTTP\n")))
        .containsExactly(
            "backends.yaml:5:9: healthCheck.type: unknown health check type \"HTTP\", did you mean"
                + " http?");
  }

  @Test
  void unknownModelIsRefusedWithASuggestion() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  model: rolling\n")))
        .containsExactly(
            "backends.yaml:5:10: healthCheck.model: unknown model \"rolling\", expected one of"
                + " consecutive, window");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  model: windows\n")))
        .containsExactly(
            "backends.yaml:5:10: healthCheck.model: unknown model \"windows\", did you mean"
                + " window?");
  }

  @Test
  void healthCheckMustBeAMappingOrFalse() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck: true\n")))
        .containsExactly("backends.yaml:4:14: healthCheck: must be a mapping or false, was true");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck: [tcp]\n")))
        .containsExactly(
            "backends.yaml:4:14: healthCheck: must be a mapping or false, was a sequence");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck: tcp\n")))
        .containsExactly(
            "backends.yaml:4:14: healthCheck: must be a mapping or false, was \"tcp\"");
    assertThat(problems(refused(ONE_BACKEND + "    healthCheck: no\n")))
        .containsExactly(
            "backends.yaml:4:18: backends[0].healthCheck: must be a mapping or false, was \"no\"");
  }

  @Test
  void durationsMustBePositiveDurations() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  interval: 0s\n")))
        .containsExactly("backends.yaml:5:13: healthCheck.interval: must be > 0, was 0s");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  interval: -5s\n")))
        .containsExactly("backends.yaml:5:13: healthCheck.interval: must be > 0, was -5s");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  timeout: \"0\"\n")))
        .containsExactly("backends.yaml:5:12: healthCheck.timeout: must be > 0, was 0s");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  interval: 5\n")))
        .containsExactly(
            "backends.yaml:5:13: healthCheck.interval: must be a duration such as 30s, was 5");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  timeout: 1x\n")))
        .containsExactly(
            "backends.yaml:5:12: healthCheck.timeout: unknown unit \"x\" in duration \"1x\"");
  }

  @Test
  void countsAreRangeChecked() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {healthyThreshold: 0, unhealthyThreshold: "3"}
              - addr: tcp://b:1234
                arch: x86_64
                healthCheck: {model: window, window: 65, threshold: 0, initial: -1}
              - addr: tcp://c:1234
                arch: x86_64
                healthCheck: {type: http, expectedStatus: 600, port: 0}
              - addr: tcp://d:1234
                arch: x86_64
                healthCheck: {type: http, expectedStatus: 42, port: 65536}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:37: backends[0].healthCheck.healthyThreshold: must be >= 1, was 0",
            "backends.yaml:4:60: backends[0].healthCheck.unhealthyThreshold: must be an integer,"
                + " was \"3\"",
            "backends.yaml:7:42: backends[1].healthCheck.window: must be <= 64, was 65",
            "backends.yaml:7:57: backends[1].healthCheck.threshold: must be >= 1, was 0",
            "backends.yaml:7:69: backends[1].healthCheck.initial: must be >= 0, was -1",
            "backends.yaml:10:47: backends[2].healthCheck.expectedStatus: must be <= 599, was 600",
            "backends.yaml:13:47: backends[3].healthCheck.expectedStatus: must be from 100 to 599,"
                + " or 0 for any 2xx, was 42",
            "backends.yaml:13:57: backends[3].healthCheck.port: must be <= 65535, was 65536");
  }

  @Test
  void httpPathMustBeWellFormed() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  type: http\n  path: healthz\n")))
        .containsExactly(
            "backends.yaml:6:9: healthCheck.path: must start with / and contain no whitespace,"
                + " was \"healthz\"");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck: {type: http, path: \"/a b\"}\n")))
        .containsExactly(
            "backends.yaml:4:33: healthCheck.path: must start with / and contain no whitespace,"
                + " was \"/a b\"");
    assertThat(problems(refused(ONE_BACKEND + "healthCheck: {type: http, path: }\n")))
        .containsExactly("backends.yaml:4:32: healthCheck.path: must be a string, was null");
  }

  // --- Settings of another type or model ---

  @Test
  void httpOnlyKeysOnATcpCheckAreRefused() throws IOException {
    PoolConfigException e =
        refused(
            ONE_BACKEND
                + """
                healthCheck:
                  path: /healthz
                  expectedStatus: 200
                """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:5:9: healthCheck.path: applies only to type http, not tcp",
            "backends.yaml:6:19: healthCheck.expectedStatus: applies only to type http, not tcp");
  }

  @Test
  void httpOnlyKeysOnABackendWhoseCheckIsTcpAreRefused() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {path: /b}
              - addr: tcp://b:1234
                arch: x86_64
                healthCheck: {type: tcp, path: /b}
            healthCheck: {port: 99}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:25: backends[0].healthCheck.path: applies only to type http, not tcp",
            "backends.yaml:7:36: backends[1].healthCheck.path: applies only to type http, not tcp");
  }

  @Test
  void consecutiveOnlyKeysWithTheWindowModelAreRefused() throws IOException {
    PoolConfigException e =
        refused(
            ONE_BACKEND
                + """
                healthCheck:
                  model: window
                  healthyThreshold: 2
                  unhealthyThreshold: 3
                """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:6:21: healthCheck.healthyThreshold: applies only to model consecutive",
            "backends.yaml:7:23: healthCheck.unhealthyThreshold: applies only to model"
                + " consecutive");
  }

  @Test
  void windowOnlyKeysWithTheConsecutiveModelAreRefused() throws IOException {
    PoolConfigException e =
        refused(
            ONE_BACKEND
                + """
                healthCheck:
                  window: 8
                  threshold: 3
                  initial: 2
                """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:5:11: healthCheck.window: applies only to model window",
            "backends.yaml:6:14: healthCheck.threshold: applies only to model window",
            "backends.yaml:7:12: healthCheck.initial: applies only to model window");
  }

  @Test
  void windowKeysOnABackendFollowThePoolWideModel() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {window: 4}
            healthCheck: {model: window}
            """);

    assertThat(settings.healthChecks().get(A)).isEqualTo(HealthCheck.tcp().window(4, 3));
  }

  @Test
  void thresholdAboveTheWindowIsReportedAtTheMapping() throws IOException {
    assertThat(
            problems(
                refused(
                    ONE_BACKEND + "healthCheck:\n  model: window\n  window: 4\n  threshold: 5\n")))
        .containsExactly(
            "backends.yaml:5:3: healthCheck: threshold must be from 1 to window (4), was 5");
    assertThat(
            problems(
                refused(ONE_BACKEND + "    healthCheck: {model: window, window: 8, initial: 9}\n")))
        .containsExactly(
            "backends.yaml:4:18: backends[0].healthCheck: initial must be from 0 to window (8),"
                + " was 9");
  }

  @Test
  void thresholdAboveAWindowOnlyTheMergeMakesIsReportedAtTheBackend() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {window: 4}
              - addr: tcp://b:1234
                arch: x86_64
            healthCheck: {model: window, threshold: 5}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:18: backends[0].healthCheck: threshold must be from 1 to window (4),"
                + " was 5");
  }

  // --- One pass, every problem, nothing spurious ---

  @Test
  void aValueOutOfRangeIsNotFollowedByACrossFieldError() throws IOException {
    assertThat(
            problems(
                refused(ONE_BACKEND + "healthCheck: {model: window, window: 65, threshold: 9}\n")))
        .containsExactly("backends.yaml:4:38: healthCheck.window: must be <= 64, was 65");
    assertThat(
            problems(refused(ONE_BACKEND + "healthCheck: {type: http, path: /h, interval: 0s}\n")))
        .containsExactly("backends.yaml:4:47: healthCheck.interval: must be > 0, was 0s");
  }

  @Test
  void aBrokenPoolWideCheckIsReportedOnceNotAgainAtEachBackend() throws IOException {
    PoolConfigException e = refused(TWO_BACKENDS + "healthCheck:\n  jitter: 101\n  type: http\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:7:11: healthCheck.jitter: must be a percentage from 0 to 100 (50 or"
                + " 50%), was 101");
  }

  @Test
  void anUnknownTypeIsNotFollowedByASpuriousPathError() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  type: htp\n  path: /healthz\n")))
        .containsExactly(
            "backends.yaml:5:9: healthCheck.type: unknown health check type \"htp\", did you mean"
                + " http?");
  }

  @Test
  void anUnknownModelIsNotFollowedByASpuriousWindowError() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "healthCheck:\n  model: windw\n  window: 8\n")))
        .containsExactly(
            "backends.yaml:5:10: healthCheck.model: unknown model \"windw\", did you mean"
                + " window?");
  }

  @Test
  void aBrokenPoolWideCheckDoesNotMakeBackendOverridesFail() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                healthCheck: {window: 4}
              - addr: tcp://b:1234
                arch: x86_64
                healthCheck: {path: /b}
            healthCheck: {type: http, model: window, window: 4, threshold: 5}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:8:14: healthCheck: threshold must be from 1 to window (4), was 5");
  }

  @Test
  void everyProblemIsReportedInOneExceptionInSourceOrder() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                maxJobs: -1
                healthCheck: {type: tpc}
              - addr: unix:///run/buildkit/buildkitd.sock
                arch: x86_64
              - addr: tcp://c:1234
                arch: x86_64
                healthCheck: {model: window, healthyThreshold: 2}
            healthCheck:
              interval: 0s
              jitter: 50 %
              pth: /healthz
            watch: yes
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:14: backends[0].maxJobs: must be >= 0, was -1",
            "backends.yaml:5:25: backends[0].healthCheck.type: unknown health check type \"tpc\","
                + " did you mean tcp?",
            "backends.yaml:10:52: backends[2].healthCheck.healthyThreshold: applies only to model"
                + " consecutive",
            "backends.yaml:12:13: healthCheck.interval: must be > 0, was 0s",
            "backends.yaml:13:11: healthCheck.jitter: must be a percentage from 0 to 100 (50 or"
                + " 50%), was \"50 %\"",
            "backends.yaml:14:3: healthCheck.pth: unknown key, did you mean path?",
            "backends.yaml:15:8: watch: must be true or false, was \"yes\"");
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.column()).isEqualTo(14);
  }

  // --- Addresses a check cannot probe ---

  @Test
  void unixSocketWithATcpCheckIsReportedAtTheAddr() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
              - addr: unix:///run/buildkit/buildkitd.sock
                arch: x86_64
            healthCheck: {type: tcp}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:11: backends[1].addr: a tcp health check needs a host:port address,"
                + " and unix:///run/buildkit/buildkitd.sock is not one (unix://); use a probe type"
                + " that understands it, or no health check for this backend (healthCheck: false)");
  }

  @Test
  void unixSocketWithItsCheckTurnedOffLoads() throws IOException {
    PoolSettings settings =
        load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
              - addr: unix:///run/buildkit/buildkitd.sock
                arch: x86_64
                healthCheck: false
            healthCheck: {}
            """);

    assertThat(settings.healthChecks()).containsOnly(entry(A, HealthCheck.tcp()));
  }

  @Test
  void unixSocketWithoutAnyCheckLoads() throws IOException {
    PoolSettings settings =
        load("backends:\n  - addr: unix:///run/buildkit/buildkitd.sock\n    arch: x86_64\n");

    assertThat(settings.healthChecks()).isEmpty();
  }

  @Test
  void addressWithoutAPortNeedsAPortOverride() throws IOException {
    assertThat(
            problems(refused("backends:\n  - addr: tcp://a\n    arch: x86_64\nhealthCheck: {}\n")))
        .containsExactly(
            "backends.yaml:2:11: backends[0].addr: a tcp health check cannot probe tcp://a: no"
                + " port (give one in the address or as healthCheck.port)");

    PoolSettings settings =
        load("backends:\n  - addr: tcp://a\n    arch: x86_64\nhealthCheck: {port: 9000}\n");

    assertThat(settings.healthChecks())
        .containsOnly(entry("tcp://a", HealthCheck.tcp().withPort(9000)));
  }

  @Test
  void probeTypesFromFactoriesJudgeTheirOwnAddresses() {
    // A type a HealthProbe.Factory provides is not checked against host:port, and takes no
    // http-only keys.
    PoolSettings settings =
        readWithTypes(
            """
            backends:
              - addr: unix:///run/buildkit/buildkitd.sock
                arch: x86_64
            healthCheck: {type: grpc}
            """);

    assertThat(settings.healthCheck()).isEqualTo(HealthCheck.of("grpc"));

    PoolConfigException e =
        catchThrowableOfType(
            PoolConfigException.class,
            () ->
                readWithTypes(
                    """
                    backends:
                      - {addr: tcp://a:1, arch: x86_64}
                    healthCheck: {type: grpc, path: /}
                    """));
    assertThat(e).isNotNull();
    assertThat(e.problems())
        .containsExactly("t.yaml:3:33: healthCheck.path: applies only to type http, not grpc");
  }

  // --- watch ---

  @Test
  void watchIsReadAsABoolean() throws IOException {
    assertThat(load(ONE_BACKEND + "watch: true\n").watch()).isTrue();
    assertThat(load(ONE_BACKEND + "watch: false\n").watch()).isFalse();
    assertThat(load(ONE_BACKEND).watch()).isFalse();
  }

  @Test
  void watchRefusesAnythingButTrueOrFalse() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "watch: yes\n")))
        .containsExactly("backends.yaml:4:8: watch: must be true or false, was \"yes\"");
    assertThat(problems(refused(ONE_BACKEND + "watch: 1\n")))
        .containsExactly("backends.yaml:4:8: watch: must be true or false, was 1");
    assertThat(problems(refused(ONE_BACKEND + "watch: \"true\"\n")))
        .containsExactly("backends.yaml:4:8: watch: must be true or false, was \"true\"");
    assertThat(problems(refused(ONE_BACKEND + "watch:\n")))
        .containsExactly("backends.yaml:4:7: watch: must be true or false, was null");
  }

  // --- Helpers ---

  /** The pool-wide check of {@link #ONE_BACKEND} with {@code healthCheck: <value>}. */
  private HealthCheck poolCheck(String value) throws IOException {
    HealthCheck check = load(ONE_BACKEND + "healthCheck: " + value + "\n").healthCheck();
    assertThat(check).as("the pool-wide check of %s", value).isNotNull();
    return check;
  }

  private PoolSettings load(String yaml) throws IOException {
    return YamlPoolConfigLoader.load(write(yaml));
  }

  /** Reads {@code yaml} as if a factory provided the probe type {@code grpc}. */
  private static PoolSettings readWithTypes(String yaml) {
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel("t.yaml")
            .setSchema(new CoreSchema())
            .setUseMarks(true)
            .build();
    @Nullable Node root = new Compose(settings).composeString(yaml).orElse(null);
    return new PoolSettingsReader("t.yaml", List.of("tcp", "http", "grpc")).read(root);
  }

  private Path write(String yaml) throws IOException {
    return new ConfigFiles(dir).write(yaml);
  }

  private PoolConfigException refused(String yaml) throws IOException {
    return new ConfigFiles(dir).refused(yaml);
  }

  private List<String> problems(PoolConfigException e) {
    return new ConfigFiles(dir).problems(e);
  }
}
