package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.PoolException;
import dev.melange.pool.Selector;
import dev.melange.pool.spi.CircuitBreaker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reload}: what stays, what changes in place, what drains, and what a bad file leaves. */
class ReloadTest {
  private static final String ARCH = "x86_64";

  @TempDir Path dir;

  private Path write(String name, String yaml) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, yaml);
    return file;
  }

  /** Replaces the file's content in one step, as an editor or a ConfigMap update does. */
  private void replace(Path file, String yaml) throws IOException {
    Path next = dir.resolve(file.getFileName() + ".next");
    Files.writeString(next, yaml);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static final String FIRST =
      """
      failureThreshold: 1
      backends:
        - addr: tcp://a:1
          arch: x86_64
          maxJobs: 2
          labels: {tier: low}
        - addr: tcp://b:1
          arch: x86_64
          maxJobs: 2
          labels: {name: b}
        - addr: tcp://c:1
          arch: x86_64
      """;

  @Test
  void reloadKeepsLeasesAndCircuitsAndAppliesChangesInPlace() throws Exception {
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      Lease onA = pool.acquire(ARCH, Selector.parse("tier=low"));
      pool.acquire(ARCH, Selector.parse("name=b")).recordFailure(new IOException("boom"));
      assertThat(PoolStatus.of(pool, "tcp://b:1").circuitState())
          .isEqualTo(CircuitBreaker.State.OPEN);

      pool.reload(
          write(
              "next.yaml",
              """
              failureThreshold: 1
              backends:
                - addr: tcp://d:1
                  arch: x86_64
                  weight: 3
                - addr: tcp://a:1
                  arch: x86_64
                  maxJobs: 5
                  labels: {tier: high}
                - addr: tcp://b:1
                  arch: x86_64
                  maxJobs: 2
                  labels: {name: b}
              """));

      BackendStatus a = PoolStatus.of(pool, "tcp://a:1");
      assertThat(a.activeJobs()).isEqualTo(1);
      assertThat(a.maxJobs()).isEqualTo(5);
      assertThat(a.labels()).isEqualTo(Map.of("tier", "high"));
      assertThat(onA.backend().labels()).isEqualTo(Map.of("tier", "high"));
      assertThat(PoolStatus.of(pool, "tcp://b:1").circuitState())
          .isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(PoolStatus.of(pool, "tcp://d:1").weight()).isEqualTo(3);
      assertThat(pool.totalCapacity()).isGreaterThanOrEqualTo(5 + 2 + 4);
      try (Lease high = pool.acquire(ARCH, Selector.parse("tier=high"), Duration.ZERO)) {
        assertThat(high.backend().addr()).isEqualTo("tcp://a:1");
      }
      assertThatThrownBy(() -> pool.acquire(ARCH, Selector.parse("tier=low"), Duration.ZERO))
          .isInstanceOf(NoBackendAvailableException.class)
          .hasMessageContaining("no x86_64 backend matches selector \"tier=low\"");

      // c is no longer listed and holds no lease: it drains away at once.
      Eventually.until(
          "c removed",
          () -> pool.backends().stream().noneMatch(b -> b.addr().equals("tcp://c:1")),
          pool::status);
      assertThat(pool.backends())
          .extracting(Backend::addr)
          .containsExactly("tcp://d:1", "tcp://a:1", "tcp://b:1");

      onA.close();
      assertThat(PoolStatus.of(pool, "tcp://a:1").activeJobs()).isZero();
    }
  }

  @Test
  void aBackendNoLongerListedDrainsAfterItsLastLease() throws Exception {
    Path file = write("backends.yaml", FIRST);
    BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      pool.subscribe(heard::add);
      pool.cordon("tcp://a:1");
      pool.cordon("tcp://b:1");
      Lease onC = pool.acquire(ARCH, Selector.any());
      assertThat(onC.backend().addr()).isEqualTo("tcp://c:1");
      pool.uncordon("tcp://*");

      replace(file, FIRST.replace("  - addr: tcp://c:1\n    arch: x86_64\n", ""));
      pool.reload(file);

      assertThat(PoolStatus.of(pool, "tcp://c:1").adminState()).isEqualTo(AdminState.DRAINING);
      assertThat(pool.tryAcquire(ARCH, Selector.any()).map(Lease::backend).map(Backend::addr))
          .hasValueSatisfying(addr -> assertThat(addr).isNotEqualTo("tcp://c:1"));
      onC.close();
      Eventually.until(
          "BackendDrained for c",
          () ->
              heard.stream()
                  .anyMatch(
                      e -> e instanceof PoolEvent.BackendDrained d && d.addr().equals("tcp://c:1")),
          () -> heard);
      assertThat(pool.backends()).extracting(Backend::addr).doesNotContain("tcp://c:1");
    }
  }

  @Test
  void aBadFileChangesNothingAndSaysWhere() throws Exception {
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      List<BackendStatus> before = pool.status();
      Path bad =
          write(
              "bad.yaml",
              """
              backends:
                - addr: tcp://new:1
                  arch: x86_64
                - addr: tcp://a:1
                  arch: x86_64
                  maxJobs: -3
              """);

      assertThatThrownBy(() -> pool.reload(bad))
          .isInstanceOf(PoolConfigException.class)
          .hasMessage(bad + ":6:14: backends[1].maxJobs: must be >= 0, was -3");
      assertThat(pool.status()).isEqualTo(before);
    }
  }

  @Test
  void aFileThatChangesWhatARunningPoolCannotIsRefusedWhole() throws Exception {
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      List<BackendStatus> before = pool.status();
      Path other =
          write(
              "other.yaml",
              "strategy: round-robin\nslowStart: 10s\n"
                  + FIRST
                  + "  - addr: tcp://new:1\n    arch: x86_64\n");

      assertThatThrownBy(() -> pool.reload(other))
          .isInstanceOf(PoolConfigException.class)
          .hasMessage(
              other
                  + ":1:11: strategy: cannot change on reload (from least-loaded to round-robin);"
                  + " restart the pool to change it\n"
                  + other
                  + ":2:12: slowStart: cannot change on reload (from 0s to 10s); restart the pool"
                  + " to change it");
      assertThat(pool.status()).isEqualTo(before);
    }
  }

  @Test
  void aBackendListedWithAnotherArchIsReplaced() throws Exception {
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      Lease onA = pool.acquire(ARCH, Selector.parse("tier=low"));
      pool.reload(
          write(
              "arm.yaml",
              FIRST.replace("tcp://a:1\n    arch: x86_64", "tcp://a:1\n    arch: aarch64")));

      assertThat(pool.backends("aarch64")).extracting(Backend::addr).containsExactly("tcp://a:1");
      assertThat(pool.backends(ARCH)).extracting(Backend::addr).doesNotContain("tcp://a:1");
      assertThat(PoolStatus.of(pool, "tcp://a:1").activeJobs()).isZero();
      onA.close(); // the old incarnation's lease ends without touching the new one
      assertThat(PoolStatus.of(pool, "tcp://a:1").activeJobs()).isZero();
    }
  }

  @Test
  void reloadFromABuilderAppliesItsBackendsAndRefusesWhatCannotChange() {
    FakeTicker ticker = new FakeTicker();
    try (BackendPool pool =
        BackendPool.builder()
            .ticker(ticker)
            .backend(Backend.of("tcp://a:1", ARCH))
            .backend(Backend.of("tcp://b:1", ARCH))
            .build()) {
      pool.reload(
          BackendPool.builder()
              .ticker(ticker)
              .acquireTimeout(Duration.ZERO)
              .backend(Backend.of("tcp://b:1", ARCH).withMaxJobs(7))
              .backend(Backend.of("tcp://e:1", ARCH)));

      assertThat(PoolStatus.of(pool, "tcp://b:1").maxJobs()).isEqualTo(7);
      assertThat(PoolStatus.of(pool, "tcp://e:1").adminState()).isEqualTo(AdminState.READY);

      BackendPool.Builder otherTicker =
          BackendPool.builder().backend(Backend.of("tcp://b:1", ARCH));
      assertThatThrownBy(() -> pool.reload(otherTicker))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "ticker: cannot change on reload (the pool's is kept; build the reload's"
                  + " configuration without a ticker, or with the pool's)");
      BackendPool.Builder empty = BackendPool.builder().ticker(ticker);
      assertThatThrownBy(() -> pool.reload(empty))
          .isInstanceOf(PoolException.class)
          .hasMessage("at least one backend is required");
      assertThat(PoolStatus.of(pool, "tcp://b:1").maxJobs()).isEqualTo(7);
    }
  }

  @Test
  void reloadKeepsAHealthCheckThatDidNotChangeAndSeedsOneThatDid() throws Exception {
    ControlledProbes probes = new ControlledProbes("scripted-reload");
    HealthCheck check = probes.check();
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", ARCH))
            .healthProbe(probes)
            .healthCheck(check)
            .build()) {
      probes.answer(true);
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);

      pool.reload(
          BackendPool.builder()
              .backend(Backend.of("tcp://a:1", ARCH).withMaxJobs(8))
              .healthProbe(probes)
              .healthCheck(check));
      assertThat(probes.created).hasValue(1);
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);

      pool.reload(
          BackendPool.builder()
              .backend(Backend.of("tcp://a:1", ARCH).withMaxJobs(8))
              .healthProbe(probes)
              .healthCheck(check.consecutive(1, 1)));
      assertThat(probes.created).hasValue(2);
      assertThat(probes.closed).hasValue(1);
      // The new check starts from the health the backend had, not from unknown.
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);

      pool.reload(BackendPool.builder().backend(Backend.of("tcp://a:1", ARCH)).healthProbe(probes));
      assertThat(probes.closed).hasValue(2);
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);
      assertThat(PoolStatus.of(pool, "tcp://a:1").lastProbe()).isNull();
    }
  }

  @Test
  void watchReloadsTheFileWhenItChangesAndSkipsABrokenOne() throws Exception {
    Path file = write("backends.yaml", "watch: true\n" + FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      replace(file, "watch: true\n" + FIRST + "  - addr: tcp://w:1\n    arch: x86_64\n");
      Eventually.until(
          "tcp://w:1 added",
          () -> pool.backends().stream().anyMatch(b -> b.addr().equals("tcp://w:1")),
          pool::backends);

      replace(
          file,
          "watch: true\n" + FIRST + "  - addr: tcp://w:1\n    arch: x86_64\n    maxJobs: -1\n");
      Thread.sleep(3 * ConfigWatch.POLL_MILLIS);
      replace(
          file,
          "watch: true\n" + FIRST + "  - addr: tcp://w:1\n    arch: x86_64\n    maxJobs: 6\n");
      Eventually.until(
          "tcp://w:1 at 6", () -> PoolStatus.of(pool, "tcp://w:1").maxJobs() == 6, pool::status);

      replace(file, FIRST); // watch off: this reload is the last
      Eventually.until(
          "tcp://w:1 gone",
          () -> pool.backends().stream().noneMatch(b -> b.addr().equals("tcp://w:1")),
          pool::backends);
      replace(file, FIRST + "  - addr: tcp://late:1\n    arch: x86_64\n");
      Thread.sleep(4 * ConfigWatch.POLL_MILLIS);
      assertThat(pool.backends()).extracting(Backend::addr).doesNotContain("tcp://late:1");
    }
  }

  @Test
  void aReloadThatTurnsFailOpenOffEndsItAtOnce() throws Exception {
    BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      pool.subscribe(heard::add);
      pool.setHealth("*", HealthOverride.UNHEALTHY);
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().close(); // fails open

      pool.reload(write("closed.yaml", "failOpen: false\n" + FIRST));

      Eventually.until(
          "FailOpenExited",
          () -> heard.stream().anyMatch(PoolEvent.FailOpenExited.class::isInstance),
          () -> heard);
      assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty();
    }
  }

  @Test
  void aReloadThatWouldLeaveOnlyDrainingBackendsIsRefused() throws Exception {
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      Lease onA = pool.acquire(ARCH, Selector.parse("tier=low"));
      var draining = pool.drain("tcp://a:1");
      List<BackendStatus> before = pool.status();

      assertThatThrownBy(
              () ->
                  pool.reload(
                      write(
                          "only-a.yaml",
                          "failureThreshold: 1\nbackends:\n  - {addr: tcp://a:1, arch: x86_64,"
                              + " maxJobs: 2, labels: {tier: low}}\n")))
          .isInstanceOf(PoolException.class)
          .hasMessage("cannot reload: every backend the configuration lists is draining");
      assertThat(pool.status()).isEqualTo(before);
      onA.close();
      assertThat(draining.get(10, java.util.concurrent.TimeUnit.SECONDS))
          .extracting(Backend::addr)
          .containsExactly("tcp://a:1");
    }
  }

  @Test
  void aBackendsCircuitBreakerCannotChangeOnReloadButANewBackendsMay() throws Exception {
    Path file = write("backends.yaml", FIRST);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      String explicit =
          FIRST.replace(
              "  - addr: tcp://c:1\n    arch: x86_64\n",
              """
                - addr: tcp://c:1
                  arch: x86_64
                  circuitBreaker: {type: consecutive}
                - addr: tcp://d:1
                  arch: x86_64
                  circuitBreaker: {type: failure-rate}
              """);
      pool.reload(write("same.yaml", explicit)); // c's breaker is the one it had; d is new
      assertThat(pool.backends()).extracting(Backend::addr).contains("tcp://d:1");

      Path changed =
          write(
              "changed.yaml",
              explicit.replace(
                  "circuitBreaker: {type: consecutive}", "circuitBreaker: {type: failure-rate}"));
      assertThatThrownBy(() -> pool.reload(changed))
          .isInstanceOf(PoolConfigException.class)
          .hasMessage(
              changed
                  + ":3:3: backends: tcp://c:1: circuitBreaker: cannot change on reload (it keeps"
                  + " its circuit); remove the backend and add it again, or restart the pool, to"
                  + " change it");
    }
  }

  @Test
  void aFailsafeBreakerIsKeptWhenItsSettingsAreTheSameAndRefusedWhenTheyChange() throws Exception {
    String failsafe = FIRST + "circuitBreaker: {type: failsafe, failureThreshold: 3, delay: 30s}\n";
    Path file = write("backends.yaml", failsafe);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      // The same settings written otherwise: the capacity is the default's, 30s is half a minute.
      pool.reload(
          write(
              "same.yaml",
              FIRST
                  + "circuitBreaker:\n  delay: 0.5m\n  failureThresholdingCapacity: 3\n"
                  + "  failureThreshold: 3\n  type: failsafe\n"));

      Path changed = write("changed.yaml", failsafe.replace("delay: 30s", "delay: 1m"));
      assertThatThrownBy(() -> pool.reload(changed))
          .isInstanceOf(PoolConfigException.class)
          .hasMessageContaining(
              "circuitBreaker: cannot change on reload (backends keep their circuits)");
    }
  }

  @Test
  void reloadOfAClosedPoolIsRefused() throws Exception {
    Path file = write("backends.yaml", FIRST);
    BackendPool pool = BackendPool.fromYaml(file);
    pool.close();

    assertThatThrownBy(() -> pool.reload(file))
        .isInstanceOf(PoolException.class)
        .hasMessage("the pool is closed");
  }
}
