package dev.melange.pool.core.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class GoDurationTest {

  static Stream<Arguments> goDurations() {
    return Stream.of(
        Arguments.of("0", Duration.ZERO),
        Arguments.of("-0", Duration.ZERO),
        Arguments.of("+0", Duration.ZERO),
        Arguments.of("0s", Duration.ZERO),
        Arguments.of("250ms", Duration.ofMillis(250)),
        Arguments.of("30s", Duration.ofSeconds(30)),
        Arguments.of("+30s", Duration.ofSeconds(30)),
        Arguments.of("5m", Duration.ofMinutes(5)),
        Arguments.of("1h30m", Duration.ofMinutes(90)),
        Arguments.of("1.5h", Duration.ofMinutes(90)),
        Arguments.of(".5s", Duration.ofMillis(500)),
        Arguments.of("1.s", Duration.ofSeconds(1)),
        Arguments.of("-5s", Duration.ofSeconds(-5)),
        Arguments.of("-1.5m", Duration.ofSeconds(-90)),
        Arguments.of("10ns", Duration.ofNanos(10)),
        Arguments.of("7us", Duration.ofNanos(7_000)),
        Arguments.of("7\u00b5s", Duration.ofNanos(7_000)),
        Arguments.of("7\u03bcs", Duration.ofNanos(7_000)),
        Arguments.of("1h1m1s1ms1us1ns", Duration.parse("PT1H1M1.001001001S")),
        Arguments.of("1s1s", Duration.ofSeconds(2)),
        Arguments.of("2562047h47m16.854775807s", Duration.ofNanos(Long.MAX_VALUE)),
        Arguments.of("-2562047h47m16.854775808s", Duration.ofNanos(Long.MIN_VALUE)),
        Arguments.of("9223372036854775807ns", Duration.ofNanos(Long.MAX_VALUE)),
        Arguments.of("-9223372036854775808ns", Duration.ofNanos(Long.MIN_VALUE)),
        // Go ignores fraction digits past what fits, rather than failing.
        Arguments.of("0.1234567890123456789012345s", Duration.ofNanos(123_456_789)));
  }

  @ParameterizedTest
  @MethodSource("goDurations")
  void parsesWhatGoParses(String text, Duration expected) {
    assertThat(GoDuration.parse(text)).isEqualTo(expected);
  }

  @Test
  void bareNumberIsRefusedWithAHint() {
    assertThatThrownBy(() -> GoDuration.parse("30"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("missing unit in duration \"30\": use a duration such as 30s");
  }

  @Test
  void trailingNumberWithoutUnitIsRefusedWithTheHint() {
    assertThatThrownBy(() -> GoDuration.parse("1h30"))
        .hasMessage("missing unit in duration \"1h30\": use a duration such as 30s");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "''         | invalid duration \"\"",
        "-          | invalid duration \"-\"",
        "s          | invalid duration \"s\"",
        ".          | invalid duration \".\"",
        ".s         | invalid duration \".s\"",
        "' 30s'     | invalid duration \" 30s\"",
        "30x        | unknown unit \"x\" in duration \"30x\"",
        "1h h       | unknown unit \"h h\" in duration \"1h h\"",
        "30S        | unknown unit \"S\" in duration \"30S\"",
        "1e3s       | unknown unit \"e\" in duration \"1e3s\"",
        "3000000h   | invalid duration \"3000000h\": out of range (at most about 292 years)",
        "9223372036854775808ns | invalid duration \"9223372036854775808ns\": out of range (at"
            + " most about 292 years)",
        "99999999999999999999s | invalid duration \"99999999999999999999s\": out of range (at"
            + " most about 292 years)"
      })
  void badInputIsRefusedNamingTheValue(String text, String message) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void hugeInputIsNamedShortAndParsedInLinearTime() {
    String text = "1ns".repeat(1_000_000) + "x";
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () ->
            assertThatThrownBy(() -> GoDuration.parse(text))
                .hasMessageStartingWith("unknown unit \"nsx\" in duration \"1ns1ns")
                .hasMessageEndingWith("...\""));
  }

  @ParameterizedTest
  @CsvSource({
    "PT0S, 0s",
    "PT0.000000001S, 1ns",
    "PT0.000000999S, 999ns",
    "PT0.0000015S, 1.5\u00b5s",
    "PT0.00025S, 250\u00b5s",
    "PT0.0015S, 1.5ms",
    "PT0.25S, 250ms",
    "PT1.5S, 1.5s",
    "PT30S, 30s",
    "PT1M30S, 1m30s",
    "PT5M, 5m0s",
    "PT1H, 1h0m0s",
    "PT1H30M, 1h30m0s",
    "PT1H0.000000001S, 1h0m0.000000001s",
    "PT-5S, -5s",
    "PT-0.25S, -250ms",
    "PT-1M-30.5S, -1m30.5s"
  })
  void formatsAsGoPrints(Duration duration, String expected) {
    assertThat(GoDuration.format(duration)).isEqualTo(expected);
  }

  @Test
  void formatsTheExtremes() {
    assertThat(GoDuration.format(Duration.ofNanos(Long.MAX_VALUE)))
        .isEqualTo("2562047h47m16.854775807s");
    assertThat(GoDuration.format(Duration.ofNanos(Long.MIN_VALUE)))
        .isEqualTo("-2562047h47m16.854775808s");
    // Beyond Go's range, Java's own extremes still print rather than overflow.
    assertThat(GoDuration.format(Duration.ofSeconds(Long.MIN_VALUE)))
        .isEqualTo("-2562047788015215h30m8s");
    assertThat(GoDuration.format(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)))
        .isEqualTo("2562047788015215h30m7.999999999s");
  }

  @ParameterizedTest
  @MethodSource("goDurations")
  void formattedDurationsParseBackToThemselves(String ignored, Duration duration) {
    assertThat(GoDuration.parse(GoDuration.format(duration))).isEqualTo(duration);
  }
}
