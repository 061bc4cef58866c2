package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.core.config.KnownArchs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An arch melange does not know ({@code amd64} for {@code x86_64}) is taken but warned about: in
 * the backend's status, and once in the log when it joins the pool.
 */
class ArchWarningTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
    "amd64, x86_64",
    "arm64, aarch64",
    "386, x86",
    "i386, x86",
    "i686, x86",
    "arm, armv7",
    "armv7l, armv7",
    "ppc64el, ppc64le",
    "loong64, loongarch64",
    "AMD64, x86_64",
    "X86_64, x86_64",
    "aarch46, aarch64",
  })
  void anArchOfAnotherToolsNameIsWarnedAboutWithTheNameMeant(String arch, String meant) {
    try (BackendPool pool = BackendPool.builder().backend(Backend.of("tcp://a:1", arch)).build()) {
      assertThat(PoolStatus.of(pool, "tcp://a:1").problem())
          .isEqualTo("arch \"" + arch + "\" is not one melange knows: did you mean " + meant + "?");
    }
  }

  @Test
  void anArchOfNoKnownNameIsWarnedAboutWithTheNamesThereAre() {
    try (BackendPool pool =
        BackendPool.builder().backend(Backend.of("tcp://a:1", "sparc64")).build()) {
      assertThat(PoolStatus.of(pool, "tcp://a:1").problem())
          .isEqualTo(
              "arch \"sparc64\" is not one melange knows (x86_64, aarch64, armv7, armhf, x86,"
                  + " ppc64le, s390x, riscv64, loongarch64): only jobs that ask for \"sparc64\""
                  + " get it");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "x86_64",
        "aarch64",
        "armv7",
        "armhf",
        "x86",
        "ppc64le",
        "s390x",
        "riscv64",
        "loongarch64"
      })
  void melangesOwnArchsHaveNoProblem(String arch) {
    try (BackendPool pool = BackendPool.builder().backend(Backend.of("tcp://a:1", arch)).build()) {
      assertThat(PoolStatus.of(pool, "tcp://a:1").problem()).isNull();
    }
  }

  @Test
  void theWarnedBackendStillTakesJobsForTheArchAsWritten() throws Exception {
    try (BackendPool pool =
        BackendPool.builder().backend(Backend.of("tcp://a:1", "amd64")).build()) {
      assertThat(pool.tryAcquire("amd64", dev.melange.pool.Selector.any())).isPresent();
    }
  }

  @Test
  void theLogSaysSoOnceWhenTheBackendJoinsNotAtEveryReload() throws Exception {
    Path file = dir.resolve("backends.yaml");
    String yaml =
        """
        backends:
          - addr: tcp://warned-once:1
            arch: arm64
          - addr: tcp://fine:1
            arch: aarch64
        """;
    Files.writeString(file, yaml);
    try (CapturedLog log = new CapturedLog(KnownArchs.class)) {
      try (BackendPool pool = BackendPool.fromYaml(file)) {
        Files.writeString(file, yaml + "    maxJobs: 3\n");
        pool.reload(file);
        pool.reload(file);
        pool.add(Backend.of("tcp://added:1", "amd64"));

        assertThat(log.lines())
            .filteredOn(
                line -> line.contains("tcp://warned-once:1") || line.contains("tcp://fine:1"))
            .containsExactly(
                "WARN backend tcp://warned-once:1: arch \"arm64\" is not one melange knows: did you"
                    + " mean aarch64?");
        assertThat(log.lines())
            .filteredOn(line -> line.contains("tcp://added:1"))
            .containsExactly(
                "WARN backend tcp://added:1: arch \"amd64\" is not one melange knows: did you mean"
                    + " x86_64?");
      }
    }
  }
}
