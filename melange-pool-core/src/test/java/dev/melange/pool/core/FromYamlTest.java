package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BackendPool#fromYaml} end to end, through the public API and the service loader. */
class FromYamlTest {
  @TempDir Path dir;

  @Test
  void melangesExampleFileYieldsAWorkingPool() throws Exception {
    Path file = dir.resolve("backends.yaml");
    Files.writeString(
        file,
        """
        backends:
          - addr: tcp://buildkit-x86:1234
            arch: x86_64
            maxJobs: 4
            labels:
              tier: standard
              location: us-central1
          - addr: tcp://buildkit-arm:1234
            arch: aarch64
            maxJobs: 2
            labels:
              tier: standard
          - addr: tcp://buildkit-highmem:1234
            arch: x86_64
            labels:
              tier: high-memory
              memory: 64gi
        defaultMaxJobs: 3
        failureThreshold: 1
        recoveryTimeout: 5m
        acquireTimeout: 0s
        """);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      assertThat(pool.architectures()).containsExactly("x86_64", "aarch64");
      assertThat(pool.status()).extracting(BackendStatus::maxJobs).containsExactly(4, 2, 3);
      assertThat(pool.backends().get(0).labels())
          .containsExactly(entry("tier", "standard"), entry("location", "us-central1"));
      try (Lease lease = pool.acquire("x86_64", Selector.parse("tier=high-memory"))) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://buildkit-highmem:1234");
        lease.recordFailure(new RuntimeException("boom"));
      }
      // failureThreshold 1 opened it; acquireTimeout 0s means the next acquire does not wait.
      assertThatThrownBy(() -> pool.acquire("x86_64", Selector.parse("tier=high-memory")))
          .hasMessageStartingWith(
              "no available backend: all backends are at capacity or circuit-open");
    }
  }

  @Test
  void routingSettingsReachThePool() throws Exception {
    Path file = dir.resolve("backends.yaml");
    Files.writeString(
        file,
        """
        backends:
          - addr: tcp://a:1234
            arch: x86_64
            weight: 3
          - addr: tcp://b:1234
            arch: x86_64
        strategy: round-robin
        affinity:
          loadFactor: 2
        slowStart: 30s
        """);
    try (BackendPool pool = BackendPool.fromYaml(file)) {
      assertThat(pool.status()).extracting(BackendStatus::weight).containsExactly(3, 1);
      // Least-loaded, the default, would send every one of these to the first backend.
      List<String> picked = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        try (Lease lease = pool.acquire("x86_64", Selector.any())) {
          picked.add(lease.backend().addr());
        }
      }
      assertThat(picked)
          .containsExactlyInAnyOrder(
              "tcp://a:1234", "tcp://a:1234", "tcp://b:1234", "tcp://b:1234");
    }
  }

  @Test
  void aBadFileYieldsNoPoolAndALocatedMessage() throws Exception {
    Path file = dir.resolve("backends.yaml");
    Files.writeString(
        file,
        """
        backends:
          - addr: tcp://a:1234
            arch: x86_64
            maxJobs: -3
        """);
    assertThatThrownBy(() -> BackendPool.fromYaml(file))
        .isInstanceOfSatisfying(
            PoolConfigException.class,
            e -> {
              assertThat(e.line()).isEqualTo(4);
              assertThat(e.column()).isEqualTo(14);
            })
        .hasMessage(file + ":4:14: backends[0].maxJobs: must be >= 0, was -3");
  }
}
