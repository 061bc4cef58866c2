package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The forms of the API's instants and durations. */
class ApiJsonTest {

  @Test
  void durationsReadAsGoPrintsThem() {
    assertThat(ApiJson.goDuration(Duration.ZERO)).isEqualTo("0s");
    assertThat(ApiJson.goDuration(Duration.ofNanos(1))).isEqualTo("1ns");
    assertThat(ApiJson.goDuration(Duration.ofNanos(1_500))).isEqualTo("1.5\u00b5s");
    assertThat(ApiJson.goDuration(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(ApiJson.goDuration(Duration.ofNanos(12_345_678))).isEqualTo("12.345678ms");
    assertThat(ApiJson.goDuration(Duration.ofMillis(1_500))).isEqualTo("1.5s");
    assertThat(ApiJson.goDuration(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(ApiJson.goDuration(Duration.ofMinutes(5))).isEqualTo("5m0s");
    assertThat(ApiJson.goDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(ApiJson.goDuration(Duration.ofHours(1))).isEqualTo("1h0m0s");
    assertThat(ApiJson.goDuration(Duration.ofSeconds(26 * 3600 + 184).plusMillis(500)))
        .isEqualTo("26h3m4.5s");
    assertThat(ApiJson.goDuration(Duration.ofSeconds(-5))).isEqualTo("-5s");
  }

  @Test
  void instantsReadAsGoWritesATime() {
    assertThat(ApiJson.rfc3339(Instant.parse("2024-01-15T10:30:00Z")))
        .isEqualTo("2024-01-15T10:30:00Z");
    assertThat(ApiJson.rfc3339(Instant.parse("2024-01-15T10:30:00.250Z")))
        .isEqualTo("2024-01-15T10:30:00.25Z");
    assertThat(ApiJson.rfc3339(Instant.parse("2024-01-15T10:30:00.000000001Z")))
        .isEqualTo("2024-01-15T10:30:00.000000001Z");
  }
}
