package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.RateLimit;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.core.breaker.DisabledCircuitBreaker;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.ResilienceSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code policy}, {@code rateLimit}, {@code adaptiveLimit} and {@code resilience} in YAML, and the
 * {@code MELANGE_POOL_RESILIENCE} switch.
 */
class ResilienceYamlTest {
  private static final String A = "tcp://a:1";
  private static final String B = "tcp://b:1";

  @SuppressWarnings("NullAway.Init") // JUnit sets it before each test
  @TempDir
  Path dir;

  private ConfigFiles files;

  @BeforeEach
  void files() {
    files = new ConfigFiles(dir);
  }

  @AfterEach
  void environment() {
    ResilienceSettings.environment = System::getenv;
  }

  private static CircuitBreakerPolicy.FailureRate failureRate(PoolSettings settings, String addr) {
    return (CircuitBreakerPolicy.FailureRate) settings.circuitBreakerOf(addr);
  }

  @Test
  void eachPresetHasTheReferenceDocumentsNumbers() throws IOException {
    Object[][] expected = {
      {"critical", 30.0, 5, 15, 50.0, 75},
      {"standard", 50.0, 10, 30, 100.0, 200},
      {"network", 40.0, 10, 20, 150.0, 300},
      {"highThroughput", 60.0, 15, 45, 500.0, 1000},
      {"relaxed", 70.0, 20, 60, 200.0, 500},
    };
    for (Object[] row : expected) {
      PoolSettings settings = files.load(ConfigFiles.TWO_BACKENDS + "policy: " + row[0] + "\n");
      CircuitBreakerPolicy.FailureRate breaker = failureRate(settings, A);
      assertThat(breaker.failureRateThreshold()).as("%s", row[0]).isEqualTo(row[1]);
      assertThat(breaker.minimumCalls()).as("%s", row[0]).isEqualTo(row[2]);
      assertThat(breaker.window()).as("%s", row[0]).isEqualTo(Duration.ofSeconds((int) row[3]));
      RateLimit rate = settings.resilience().rateLimitOf(A);
      assertThat(rate).isNotNull();
      assertThat(rate.rate()).as("%s", row[0]).isEqualTo(row[4]);
      assertThat(rate.burst()).as("%s", row[0]).isEqualTo(row[5]);
      assertThat(ResiliencePreset.of((String) row[0]).rateLimit()).isEqualTo(rate);
    }
  }

  @Test
  void explicitSettingsOverrideThePresetsKeyByKey() throws IOException {
    PoolSettings settings =
        files.load(
            ConfigFiles.TWO_BACKENDS
                + """
                policy: network
                circuitBreaker:
                  minimumCalls: 3
                rateLimit:
                  burst: 500
                """);
    CircuitBreakerPolicy.FailureRate breaker = failureRate(settings, A);
    assertThat(breaker.failureRateThreshold()).isEqualTo(40.0);
    assertThat(breaker.window()).isEqualTo(Duration.ofSeconds(20));
    assertThat(breaker.minimumCalls()).isEqualTo(3);
    assertThat(settings.resilience().rateLimitOf(A)).isEqualTo(RateLimit.of(150, 500));
  }

  @Test
  void aBackendsPresetBeatsThePoolsSettingsAndItsOwnKeysBeatItsPreset() throws IOException {
    PoolSettings settings =
        files.load(
            """
            backends:
              - addr: tcp://a:1
                arch: x86_64
                policy: critical
                rateLimit:
                  rate: 20/s
              - addr: tcp://b:1
                arch: x86_64
                circuitBreaker:
                  minimumCalls: 7
            policy: relaxed
            rateLimit:
              rate: 5/s
              burst: 9
            """);
    assertThat(failureRate(settings, A).failureRateThreshold()).isEqualTo(30.0);
    assertThat(settings.resilience().rateLimitOf(A)).isEqualTo(RateLimit.of(20, 75));
    // b: the pool's preset's breaker with its own minimum; the pool's explicit rate limit.
    assertThat(failureRate(settings, B).failureRateThreshold()).isEqualTo(70.0);
    assertThat(failureRate(settings, B).minimumCalls()).isEqualTo(7);
    assertThat(settings.resilience().rateLimitOf(B)).isEqualTo(RateLimit.of(5, 9));
  }

  @Test
  void ratesTakeUnitsAndPlainNumbersAreASecond() throws IOException {
    Map<String, Double> rates =
        Map.of("10/s", 10.0, "600/m", 10.0, "36/h", 0.01, "2.5", 2.5, "7", 7.0, "0.5/s", 0.5);
    for (Map.Entry<String, Double> entry : rates.entrySet()) {
      PoolSettings settings =
          files.load(
              ConfigFiles.TWO_BACKENDS
                  + "rateLimit:\n  rate: "
                  + entry.getKey()
                  + "\n  burst: 3\n");
      RateLimit limit = settings.resilience().rateLimitOf(A);
      assertThat(limit).isNotNull();
      assertThat(limit.rate()).as(entry.getKey()).isCloseTo(entry.getValue(), within());
    }
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-12);
  }

  @Test
  void burstDefaultsToOneSecondsWorthAndAdaptiveToOff() throws IOException {
    PoolSettings settings = files.load(ConfigFiles.TWO_BACKENDS + "rateLimit: {rate: 10/s}\n");
    assertThat(settings.resilience().rateLimitOf(A)).isEqualTo(new RateLimit(10, 10, false));
    settings = files.load(ConfigFiles.TWO_BACKENDS + "rateLimit: {rate: 6/m, adaptive: true}\n");
    assertThat(settings.resilience().rateLimitOf(A)).isEqualTo(new RateLimit(0.1, 1, true));
  }

  @Test
  void aBackendTurnsThePoolsLimitsOffWithFalse() throws IOException {
    PoolSettings settings =
        files.load(
            """
            backends:
              - addr: tcp://a:1
                arch: x86_64
                rateLimit: false
                adaptiveLimit: false
              - addr: tcp://b:1
                arch: x86_64
                adaptiveLimit:
                  min: 3
            rateLimit: {rate: 10/s, burst: 20}
            adaptiveLimit: {algorithm: gradient, min: 2}
            """);
    assertThat(settings.resilience().rateLimitOf(A)).isNull();
    assertThat(settings.resilience().adaptiveLimitOf(A)).isNull();
    assertThat(settings.resilience().rateLimitOf(B)).isEqualTo(RateLimit.of(10, 20));
    assertThat(settings.resilience().adaptiveLimitOf(B)).isEqualTo(AdaptiveLimit.gradient(3));
  }

  @Test
  void adaptiveLimitReadsItsKeys() throws IOException {
    PoolSettings settings =
        files.load(
            ConfigFiles.TWO_BACKENDS
                + "adaptiveLimit: {algorithm: aimd, min: 2, latencyThreshold: 90s}\n");
    assertThat(settings.resilience().adaptiveLimitOf(A))
        .isEqualTo(AdaptiveLimit.aimd(2).withLatencyThreshold(Duration.ofSeconds(90)));
  }

  @Test
  void wrongValuesAreReportedWhereTheyAre() throws IOException {
    assertThat(
            files.problems(
                ConfigFiles.TWO_BACKENDS
                    + """
                    policy: netwrk
                    resilience: loose
                    rateLimit:
                      rate: 10 per second
                      burst: 0
                      adaptiv: true
                    adaptiveLimit:
                      algorithm: aimdd
                      min: 0
                      latencyThreshold: 1
                    """))
        .containsExactly(
            "backends.yaml:6:9: policy: unknown policy \"netwrk\", did you mean network?",
            "backends.yaml:7:13: resilience: unknown resilience mode \"loose\", expected one of"
                + " configured, strict, relaxed, disabled",
            "backends.yaml:9:9: rateLimit.rate: must be a rate such as 10/s, 600/m or 50/h, was"
                + " \"10 per second\"",
            "backends.yaml:10:10: rateLimit.burst: must be >= 1, was 0",
            "backends.yaml:11:3: rateLimit.adaptiv: unknown key, did you mean adaptive?",
            "backends.yaml:13:14: adaptiveLimit.algorithm: unknown algorithm \"aimdd\", did you"
                + " mean aimd?",
            "backends.yaml:14:8: adaptiveLimit.min: must be >= 1, was 0",
            "backends.yaml:15:21: adaptiveLimit.latencyThreshold: must be a duration such as"
                + " 30s, was 1");
  }

  @Test
  void aLimitMissingItsRequiredKeyIsReported() throws IOException {
    assertThat(
            files.problems(
                """
                backends:
                  - addr: tcp://a:1
                    arch: x86_64
                    rateLimit: {burst: 3}
                    adaptiveLimit: {min: 3}
                """))
        .containsExactly(
            "backends.yaml:4:16: backends[0].rateLimit: rate is required (for example rate:"
                + " 10/s)",
            "backends.yaml:5:20: backends[0].adaptiveLimit: algorithm is required (aimd or"
                + " gradient)");
  }

  @Test
  void theResilienceModeOverridesEveryBackend() throws IOException {
    String yaml =
        """
        backends:
          - addr: tcp://a:1
            arch: x86_64
            policy: relaxed
            adaptiveLimit: {algorithm: aimd}
        rateLimit: {rate: 1/s}
        resilience: %s
        """;
    PoolSettings strict = files.load(yaml.formatted("strict"));
    assertThat(strict.circuitBreakerOf(A)).isEqualTo(ResiliencePreset.CRITICAL.circuitBreaker());
    assertThat(strict.resilience().rateLimitOf(A)).isEqualTo(ResiliencePreset.CRITICAL.rateLimit());
    assertThat(strict.resilience().adaptiveLimitOf(A)).isEqualTo(AdaptiveLimit.aimd(1));

    PoolSettings relaxed = files.load(yaml.formatted("relaxed"));
    assertThat(relaxed.resilience().rateLimitOf(A)).isEqualTo(ResiliencePreset.RELAXED.rateLimit());

    PoolSettings disabled = files.load(yaml.formatted("disabled"));
    assertThat(disabled.resilience().rateLimitOf(A)).isNull();
    assertThat(disabled.resilience().adaptiveLimitOf(A)).isNull();
    assertThat(
            new PoolConfig(disabled, dev.melange.pool.Ticker.system(), null, null, Map.of())
                .breakers())
        .isSameAs(DisabledCircuitBreaker.FACTORY);
  }

  @Test
  void theEnvironmentWinsOverTheFileAndABadValueNamesTheVariable() throws IOException {
    String yaml = ConfigFiles.TWO_BACKENDS + "resilience: strict\n";
    ResilienceSettings.environment = Map.of(ResilienceMode.ENVIRONMENT_VARIABLE, "Disabled")::get;
    assertThat(files.load(yaml).resilience().mode()).isEqualTo(ResilienceMode.DISABLED);

    ResilienceSettings.environment = Map.of(ResilienceMode.ENVIRONMENT_VARIABLE, " ")::get;
    assertThat(files.load(yaml).resilience().mode()).isEqualTo(ResilienceMode.STRICT);

    ResilienceSettings.environment = Map.of(ResilienceMode.ENVIRONMENT_VARIABLE, "off")::get;
    Path file = files.write(yaml);
    assertThatThrownBy(() -> BackendPool.fromYaml(file))
        .isInstanceOf(PoolConfigException.class)
        .hasMessageContaining(
            "MELANGE_POOL_RESILIENCE: unknown resilience mode \"off\", expected configured,"
                + " strict, relaxed or disabled");
  }
}
