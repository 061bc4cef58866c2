package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.core.config.PoolSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code circuitBreaker} in YAML, pool-wide and per backend. */
class CircuitBreakerYamlTest {
  @SuppressWarnings("NullAway.Init") // JUnit sets it before each test
  @TempDir
  Path dir;

  private ConfigFiles files;

  @BeforeEach
  void files() {
    files = new ConfigFiles(dir);
  }

  @Test
  void withoutTheKeyEveryBackendGetsTheConsecutiveBreakerOfTheTopLevelKeys() throws IOException {
    PoolSettings settings =
        files.load(ConfigFiles.TWO_BACKENDS + "failureThreshold: 5\nrecoveryTimeout: 1m\n");

    assertThat(settings.circuitBreaker()).isNull();
    assertThat(settings.circuitBreakerOf("tcp://a:1"))
        .isEqualTo(new CircuitBreakerPolicy.Consecutive(5, Duration.ofMinutes(1)));
  }

  @Test
  void aFailureRatePolicyPoolWideWithPercentagesEitherWay() throws IOException {
    PoolSettings settings =
        files.load(
            ConfigFiles.TWO_BACKENDS
                + """
                circuitBreaker:
                  type: failure-rate
                  window: 20s
                  buckets: 4
                  failureRateThreshold: 40%
                  minimumCalls: 5
                  slowCallRateThreshold: 80
                  slowCallDuration: 2m
                  permittedTrialLeases: 3
                  waitInOpen: 10s
                  backoff: 2.0
                  maxWaitInOpen: 2m
                  failures: 7
                """);

    CircuitBreakerPolicy.FailureRate expected =
        new CircuitBreakerPolicy.FailureRate(
            Duration.ofSeconds(20),
            4,
            40,
            5,
            80,
            Duration.ofMinutes(2),
            3,
            Duration.ofSeconds(10),
            2.0,
            Duration.ofMinutes(2),
            7);
    assertThat(settings.circuitBreakerOf("tcp://a:1")).isEqualTo(expected);
    assertThat(settings.circuitBreakerOf("tcp://b:1")).isEqualTo(expected);
  }

  @Test
  void aBackendOverridesThePoolsKeysOrNamesAnotherType() throws IOException {
    PoolSettings settings =
        files.load(
            """
            backends:
              - addr: tcp://a:1
                arch: x86_64
                circuitBreaker: {minimumCalls: 3}
              - addr: tcp://b:1
                arch: x86_64
                circuitBreaker: {type: consecutive, failures: 2}
              - addr: tcp://c:1
                arch: x86_64
            circuitBreaker: {type: failure-rate, failureRateThreshold: 25}
            """);

    CircuitBreakerPolicy.FailureRate defaults = CircuitBreakerPolicy.FailureRate.defaults();
    assertThat(settings.circuitBreakerOf("tcp://a:1"))
        .isEqualTo(
            new CircuitBreakerPolicy.FailureRate(
                defaults.window(),
                defaults.buckets(),
                25,
                3,
                defaults.slowCallRateThreshold(),
                defaults.slowCallDuration(),
                defaults.permittedTrialLeases(),
                defaults.waitInOpen(),
                defaults.backoff(),
                defaults.maxWaitInOpen(),
                defaults.failures()));
    assertThat(settings.circuitBreakerOf("tcp://b:1"))
        .isEqualTo(new CircuitBreakerPolicy.Consecutive(2, Duration.ofSeconds(30)));
    assertThat(settings.circuitBreakerOf("tcp://c:1")).isEqualTo(settings.circuitBreaker());
  }

  @Test
  void everyProblemIsLocated() throws IOException {
    assertThat(
            files.problems(
                """
                backends:
                  - addr: tcp://a:1
                    arch: x86_64
                    circuitBreaker: {type: failure-rte}
                  - addr: tcp://b:1
                    arch: x86_64
                    circuitBreaker: {window: 10s}
                circuitBreaker:
                  failureRateThreshold: 150
                  backoff: 0.5
                  waitInOpen: 5m
                  maxWaitInOpen: 1m
                  type: failure-rate
                """))
        .containsExactly(
            "backends.yaml:4:28: backends[0].circuitBreaker.type: unknown circuit breaker type"
                + " \"failure-rte\", did you mean failure-rate?",
            "backends.yaml:9:25: circuitBreaker.failureRateThreshold: must be a percentage from 0"
                + " to 100 (50 or 50%), was 150",
            "backends.yaml:10:12: circuitBreaker.backoff: must be >= 1, was 0.5");
    assertThat(
            files.problems(
                ConfigFiles.TWO_BACKENDS
                    + "circuitBreaker: {type: failure-rate, waitInOpen: 5m, maxWaitInOpen: 1m}\n"))
        .containsExactly(
            "backends.yaml:6:17: circuitBreaker: maxWaitInOpen must be >= waitInOpen (PT5M), was"
                + " PT1M");
    assertThat(files.problems(ConfigFiles.TWO_BACKENDS + "circuitBreaker: {window: 10s}\n"))
        .containsExactly(
            "backends.yaml:6:26: circuitBreaker.window: applies only to type failure-rate");
  }

  @Test
  void aFailsafePolicyPoolWide() throws IOException {
    PoolSettings settings =
        files.load(
            ConfigFiles.TWO_BACKENDS
                + """
                circuitBreaker:
                  type: failsafe
                  failureThreshold: 3
                  failureThresholdingCapacity: 5
                  successThreshold: 1
                  delay: 30s
                """);

    CircuitBreakerPolicy.Failsafe expected =
        new CircuitBreakerPolicy.Failsafe(3, 5, Duration.ZERO, 1, 1, Duration.ofSeconds(30));
    assertThat(settings.circuitBreakerOf("tcp://a:1")).isEqualTo(expected);
    assertThat(settings.circuitBreakerOf("tcp://b:1")).isEqualTo(expected);
  }

  @Test
  void failsafeDefaultsAreFailsafesAndCapacitiesFollowTheirThresholds() throws IOException {
    assertThat(
            files
                .load(ConfigFiles.TWO_BACKENDS + "circuitBreaker: {type: failsafe}\n")
                .circuitBreaker())
        .isEqualTo(CircuitBreakerPolicy.Failsafe.defaults());
    assertThat(
            files
                .load(
                    ConfigFiles.TWO_BACKENDS
                        + """
                        circuitBreaker:
                          type: failsafe
                          failureThreshold: 4
                          failureThresholdingPeriod: 1m
                          successThreshold: 2
                        """)
                .circuitBreaker())
        .isEqualTo(
            new CircuitBreakerPolicy.Failsafe(
                4, 4, Duration.ofMinutes(1), 2, 2, Duration.ofMinutes(1)));
  }

  @Test
  void aBackendOverridesAFailsafePolicyKeyByKeyOrNamesAnotherType() throws IOException {
    PoolSettings settings =
        files.load(
            """
            backends:
              - addr: tcp://a:1
                arch: x86_64
                circuitBreaker: {failureThreshold: 3}
              - addr: tcp://b:1
                arch: x86_64
                circuitBreaker: {type: failure-rate}
              - addr: tcp://c:1
                arch: x86_64
            circuitBreaker:
              type: failsafe
              failureThreshold: 2
              failureThresholdingCapacity: 4
              delay: 10s
            """);

    assertThat(settings.circuitBreakerOf("tcp://a:1"))
        .isEqualTo(
            new CircuitBreakerPolicy.Failsafe(3, 4, Duration.ZERO, 0, 0, Duration.ofSeconds(10)));
    assertThat(settings.circuitBreakerOf("tcp://b:1"))
        .isEqualTo(CircuitBreakerPolicy.FailureRate.defaults());
    assertThat(settings.circuitBreakerOf("tcp://c:1"))
        .isEqualTo(
            new CircuitBreakerPolicy.Failsafe(2, 4, Duration.ZERO, 0, 0, Duration.ofSeconds(10)));

    PoolSettings consecutivePool =
        files.load(
            """
            failureThreshold: 5
            backends:
              - addr: tcp://a:1
                arch: x86_64
                circuitBreaker: {type: failsafe, delay: 5s}
            circuitBreaker: {waitInOpen: 1m}
            """);
    assertThat(consecutivePool.circuitBreakerOf("tcp://a:1"))
        .as("another type starts from its own defaults")
        .isEqualTo(CircuitBreakerPolicy.Failsafe.defaults().withDelay(Duration.ofSeconds(5)));
  }

  @Test
  void everyFailsafeProblemIsLocated() throws IOException {
    assertThat(
            files.problems(
                ConfigFiles.TWO_BACKENDS
                    + """
                    circuitBreaker:
                      type: failsafe
                      failureThreshold: 0
                      failureThresholdingPeriod: 5ms
                      successThresholdingCapacity: 2000
                      delay: -1s
                      waitInOpen: 5s
                    """))
        .containsExactly(
            "backends.yaml:8:21: circuitBreaker.failureThreshold: must be >= 1, was 0",
            "backends.yaml:9:30: circuitBreaker.failureThresholdingPeriod: must be 0 (count the"
                + " last leases) or >= 10ms, was 5ms",
            "backends.yaml:10:32: circuitBreaker.successThresholdingCapacity: must be <= 1000, was"
                + " 2000",
            "backends.yaml:11:10: circuitBreaker.delay: must be >= 0, was -1s",
            "backends.yaml:12:15: circuitBreaker.waitInOpen: applies only to types consecutive and"
                + " failure-rate");
    assertThat(
            files.problems(
                """
                backends:
                  - addr: tcp://a:1
                    arch: x86_64
                    circuitBreaker: {failureThreshold: 6}
                  - addr: tcp://b:1
                    arch: x86_64
                    circuitBreaker: {type: consecutive, delay: 5s}
                circuitBreaker: {type: failsafe, failureThreshold: 2, failureThresholdingCapacity: 5}
                """))
        .containsExactly(
            "backends.yaml:4:21: backends[0].circuitBreaker: failureThresholdingCapacity must be"
                + " from failureThreshold (6) to 1000, was 5",
            "backends.yaml:7:48: backends[1].circuitBreaker.delay: applies only to type failsafe");
    assertThat(
            files.problems(
                ConfigFiles.TWO_BACKENDS
                    + "circuitBreaker: {type: failsafe, successThresholdingCapacity: 3}\n"))
        .containsExactly(
            "backends.yaml:6:17: circuitBreaker: successThresholdingCapacity must be 0 without a"
                + " successThreshold, was 3");
  }
}
