package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** RateLimit, AdaptiveLimit, the presets and the modes: values, defaults and refusals. */
class ResiliencePoliciesTest {

  @Test
  void aRateLimitKeepsRateAndBurstApartAndIsFixedUnlessAskedToAdapt() {
    RateLimit limit = RateLimit.of(10, 20);
    assertThat(limit.rate()).isEqualTo(10.0);
    assertThat(limit.burst()).isEqualTo(20);
    assertThat(limit.adaptive()).isFalse();
    assertThat(limit.withAdaptive(true)).isEqualTo(new RateLimit(10, 20, true));
    assertThat(limit).hasToString("10/s burst 20");
    assertThat(new RateLimit(0.5, 1, true)).hasToString("0.5/s burst 1 (adaptive)");
  }

  @Test
  void aRateLimitRefusesWhatNoBucketCanBeNamingTheValue() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RateLimit.of(0, 1))
        .withMessage("rate must be from one a day to 1e9 a second, was 0.0/s");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RateLimit.of(Double.NaN, 1))
        .withMessageContaining("was NaN/s");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RateLimit.of(Double.POSITIVE_INFINITY, 1))
        .withMessageContaining("was Infinity/s");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RateLimit.of(1, 0))
        .withMessage("burst must be from 1 to 1000000, was 0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> RateLimit.of(1, 1_000_001))
        .withMessage("burst must be from 1 to 1000000, was 1000001");
    assertThat(RateLimit.of(RateLimit.MIN_RATE, 1).rate()).isEqualTo(1.0 / 86_400);
  }

  @Test
  void anAdaptiveLimitHasFactoriesAndRefusesBadSettings() {
    assertThat(AdaptiveLimit.aimd(2))
        .isEqualTo(new AdaptiveLimit(AdaptiveLimit.Algorithm.AIMD, 2, Duration.ZERO));
    assertThat(AdaptiveLimit.gradient(1).algorithm()).isEqualTo(AdaptiveLimit.Algorithm.GRADIENT);
    assertThat(AdaptiveLimit.aimd(1).withLatencyThreshold(Duration.ofSeconds(3)).latencyThreshold())
        .isEqualTo(Duration.ofSeconds(3));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AdaptiveLimit.aimd(0))
        .withMessage("min must be from 1 to 1000000, was 0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AdaptiveLimit.aimd(1).withLatencyThreshold(Duration.ofSeconds(-1)))
        .withMessage("latencyThreshold must be >= 0, was PT-1S");
    assertThatNullPointerException()
        .isThrownBy(() -> new AdaptiveLimit(null, 1, Duration.ZERO))
        .withMessage("algorithm");
  }

  @Test
  void presetsCarryTheReferenceDocumentsNumbersAndTheFailureRateDefaultsOtherwise() {
    CircuitBreakerPolicy.FailureRate defaults = CircuitBreakerPolicy.FailureRate.defaults();
    CircuitBreakerPolicy.FailureRate critical = ResiliencePreset.CRITICAL.circuitBreaker();
    assertThat(critical.failureRateThreshold()).isEqualTo(30.0);
    assertThat(critical.minimumCalls()).isEqualTo(5);
    assertThat(critical.window()).isEqualTo(Duration.ofSeconds(15));
    assertThat(critical.waitInOpen()).isEqualTo(defaults.waitInOpen());
    assertThat(critical.buckets()).isEqualTo(defaults.buckets());
    assertThat(ResiliencePreset.CRITICAL.rateLimit()).isEqualTo(RateLimit.of(50, 75));
    assertThat(ResiliencePreset.STANDARD.rateLimit()).isEqualTo(RateLimit.of(100, 200));
    assertThat(ResiliencePreset.NETWORK.rateLimit()).isEqualTo(RateLimit.of(150, 300));
    assertThat(ResiliencePreset.HIGH_THROUGHPUT.rateLimit()).isEqualTo(RateLimit.of(500, 1000));
    assertThat(ResiliencePreset.RELAXED.rateLimit()).isEqualTo(RateLimit.of(200, 500));
    assertThat(ResiliencePreset.HIGH_THROUGHPUT.circuitBreaker().minimumCalls()).isEqualTo(15);
    assertThat(ResiliencePreset.RELAXED.circuitBreaker().window()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void presetsAndModesAreFoundByTheirYamlNames() {
    assertThat(ResiliencePreset.of("highThroughput")).isEqualTo(ResiliencePreset.HIGH_THROUGHPUT);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ResiliencePreset.of("high-throughput"))
        .withMessage(
            "unknown policy \"high-throughput\", expected one of critical, standard, network,"
                + " highThroughput, relaxed");
    assertThat(ResilienceMode.of(" Strict ")).isEqualTo(ResilienceMode.STRICT);
    assertThat(ResilienceMode.DISABLED.yamlName()).isEqualTo("disabled");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ResilienceMode.of("off"))
        .withMessage(
            "unknown resilience mode \"off\", expected configured, strict, relaxed or disabled");
  }
}
