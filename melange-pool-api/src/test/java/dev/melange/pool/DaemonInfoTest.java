package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a daemon reports is text from the network: kept only as a backend could hold it. */
class DaemonInfoTest {

  @Test
  void ordinaryReportsAreKeptAsTheyAre() {
    DaemonInfo info =
        new DaemonInfo(
            "v0.13.2", List.of("linux/arm64", "linux/amd64"), List.of("aarch64", "x86_64"), 1);

    assertThat(info.version()).isEqualTo("v0.13.2");
    assertThat(info.platforms()).containsExactly("linux/arm64", "linux/amd64");
    assertThat(info.nativeArch()).isEqualTo("aarch64");
    assertThat(info.emulatedArchs()).containsExactly("x86_64");
  }

  @Test
  void anEmulatedArchABackendCouldNotHoldIsDropped() {
    DaemonInfo info =
        new DaemonInfo(
            null,
            List.of(),
            List.of("aarch64", "x86\n_64", "a".repeat(65), " riscv64", "s390x"),
            1);

    assertThat(info.archs()).containsExactly("aarch64", "s390x");
  }

  @Test
  void aNativeArchABackendCouldNotHoldLeavesNoArchAtAll() {
    DaemonInfo info = new DaemonInfo(null, List.of(), List.of("aarch64\u001b[2J", "x86_64"), 1);

    assertThat(info.archs()).isEmpty();
    assertThat(info.nativeArch()).isNull();
    assertThat(info.emulatedArchs()).isEmpty();
  }

  @Test
  void versionAndPlatformsAreKeptEscapedAndCut() {
    DaemonInfo info =
        new DaemonInfo(
            "v1\r\nWARN forged", List.of("linux/arm64\u202e", "x".repeat(1_000)), List.of(), 1);

    assertThat(info.version()).isEqualTo("v1\\r\\nWARN forged");
    assertThat(info.platforms().get(0)).isEqualTo("linux/arm64\\u202e");
    assertThat(info.platforms().get(1)).hasSizeLessThan(160).endsWith("... (1000 characters)");
  }
}
