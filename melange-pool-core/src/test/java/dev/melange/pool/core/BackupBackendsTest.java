package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backup backends take a lease only when no primary can, and give way as soon as one can. */
class BackupBackendsTest {
  private final FakeTicker ticker = new FakeTicker();
  @TempDir Path dir;

  private BackendPool pool(Backend... backends) {
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofSeconds(10))
            .acquireTimeout(Duration.ZERO);
    for (Backend backend : backends) {
      builder.backend(backend);
    }
    return builder.build();
  }

  private static Backend primary(String addr) {
    return Backend.of(addr, "x86_64").withMaxJobs(1);
  }

  private static Backend backup(String addr) {
    return primary(addr).withBackup(true);
  }

  private static String take(BackendPool pool) {
    return pool.tryAcquire("x86_64", Selector.any()).orElseThrow().backend().addr();
  }

  @Test
  void aBackupTakesALeaseOnlyWhenEveryPrimaryIsFullAndGivesWayAfter() throws Exception {
    // The backup comes first in configuration order, and is idle: still the primary wins.
    try (BackendPool pool = pool(backup("tcp://spare:1"), primary("tcp://main:1"))) {
      Lease onPrimary = pool.acquire("x86_64", Selector.any());
      assertThat(onPrimary.backend().addr()).isEqualTo("tcp://main:1");
      Lease onBackup = pool.acquire("x86_64", Selector.any());
      assertThat(onBackup.backend().addr()).isEqualTo("tcp://spare:1");
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();

      onPrimary.close();
      onBackup.close();
      assertThat(take(pool)).isEqualTo("tcp://main:1");
    }
  }

  @Test
  void aBackupTakesOverWhileThePrimarysCircuitIsOpen() {
    try (BackendPool pool = pool(primary("tcp://main:1"), backup("tcp://spare:1"))) {
      pool.tryAcquire("x86_64", Selector.any())
          .orElseThrow()
          .recordFailure(new RuntimeException("down"));
      assertThat(take(pool)).isEqualTo("tcp://spare:1");

      ticker.advance(Duration.ofSeconds(10));
      assertThat(take(pool))
          .as("the half-open trial goes to the primary")
          .isEqualTo("tcp://main:1");
    }
  }

  @Test
  void backupsAreBalancedAmongThemselves() {
    try (BackendPool pool =
        pool(primary("tcp://main:1"), backup("tcp://spare-a:1"), backup("tcp://spare-b:1"))) {
      assertThat(take(pool)).isEqualTo("tcp://main:1");
      assertThat(take(pool)).isEqualTo("tcp://spare-a:1");
      assertThat(take(pool)).isEqualTo("tcp://spare-b:1");
    }
  }

  @Test
  void aPoolOfBackupsAloneStillServes() {
    try (BackendPool pool = pool(backup("tcp://spare:1"))) {
      assertThat(take(pool)).isEqualTo("tcp://spare:1");
    }
  }

  @Test
  void aSelectorMatchingOnlyBackupsUsesThem() {
    try (BackendPool pool =
        pool(
            primary("tcp://main:1"),
            backup("tcp://gpu-spare:1").withLabels(Map.of("gpu", "a100")))) {
      assertThat(pool.tryAcquire("x86_64", Selector.parse("gpu")).orElseThrow().backend().addr())
          .isEqualTo("tcp://gpu-spare:1");
    }
  }

  @Test
  void aWaiterIsServedByAFreedBackup() throws Exception {
    try (BackendPool pool = pool(primary("tcp://main:1"), backup("tcp://spare:1"))) {
      Lease onPrimary = pool.acquire("x86_64", Selector.any());
      Lease onBackup = pool.acquire("x86_64", Selector.any());
      CompletableFuture<Lease> waiting =
          pool.acquireAsync("x86_64", Selector.any(), Duration.ofSeconds(30));
      assertThat(waiting).isNotDone();
      onBackup.close();
      assertThat(waiting.join().backend().addr()).isEqualTo("tcp://spare:1");
      onPrimary.close();
    }
  }

  @Test
  void backendsArePrimariesUnlessSaidOtherwise() {
    Backend backend = new Backend("tcp://a:1", "x86_64", 2, Map.of());
    assertThat(backend.backup()).isFalse();
    assertThat(Backend.of("tcp://a:1", "x86_64").backup()).isFalse();
    assertThat(backend.withBackup(true).backup()).isTrue();
    assertThat(backend.withBackup(true).withMaxJobs(3).withLabels(Map.of("k", "v")).backup())
        .isTrue();
  }

  @Test
  void yamlMarksBackupsAndRefusesWhatIsNotABoolean() throws Exception {
    Path file = dir.resolve("backends.yaml");
    Files.writeString(
        file,
        """
        backends:
          - addr: tcp://main:1234
            arch: x86_64
          - addr: tcp://spare:1234
            arch: x86_64
            backup: true
        """);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      assertThat(pool.backends()).extracting(Backend::backup).containsExactly(false, true);
    }

    Files.writeString(
        file,
        """
        backends:
          - addr: tcp://spare:1234
            arch: x86_64
            backup: yes
        """);
    assertThatThrownBy(() -> BackendPool.fromYaml(file))
        .isInstanceOf(PoolConfigException.class)
        .hasMessage(file + ":4:13: backends[0].backup: must be true or false, was \"yes\"");
  }
}
