package dev.melange.pool.spi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A probe's detail may quote a peer: it reaches logs and terminals escaped and cut. */
class HealthProbeResultTest {

  @Test
  void ordinaryDetailsAreKeptAsTheyAre() {
    assertThat(HealthProbe.Result.down("HTTP 503").detail()).isEqualTo("HTTP 503");
    assertThat(HealthProbe.Result.down("unknown host \"x\" (C:\\dir)").detail())
        .isEqualTo("unknown host \"x\" (C:\\dir)");
  }

  @Test
  void controlCharactersInADetailAreEscaped() {
    String forged = "refused\n2026-12-07 INFO removed backend tcp://a:1\u001b[2K\u202e";
    assertThat(HealthProbe.Result.down(forged).detail())
        .isEqualTo("refused\\n2026-12-07 INFO removed backend tcp://a:1\\u001b[2K\\u202e")
        .doesNotContain("\n");
  }

  @Test
  void aLongDetailIsCut() {
    String detail = HealthProbe.Result.down("x".repeat(100_000)).detail();
    assertThat(detail)
        .hasSizeLessThan(HealthProbe.Result.MAX_DETAIL + 40)
        .endsWith("... (100000 characters)");
  }
}
