package dev.melange.pool.buildkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.buildkit.proto.Platform;
import dev.melange.pool.spi.HealthProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pools that learn their backends' archs from real gRPC daemons: discovery, the emulated tier, and
 * a configured arch the daemon contradicts.
 */
class PlatformDiscoveryTest {
  private static final String CHECK =
      """
      healthCheck:
        type: buildkit
        interval: 100ms
        timeout: 5s
        healthyThreshold: 1
        unhealthyThreshold: 1
      """;

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
    "linux,amd64,,x86_64",
    "linux,amd64,v3,x86_64",
    "linux,arm64,,aarch64",
    "linux,arm64,v8,aarch64",
    "linux,arm,v7,armv7",
    "linux,arm,,armv7",
    "linux,arm,v6,armhf",
    "linux,386,,x86",
    "linux,ppc64le,,ppc64le",
    "linux,s390x,,s390x",
    "linux,riscv64,,riscv64",
    "linux,loong64,,loongarch64",
    "windows,amd64,,",
  })
  void ociPlatformsMapToMelangesArchs(
      String os, String architecture, @Nullable String variant, @Nullable String arch) {
    Platform platform =
        Platform.newBuilder()
            .setOS(os)
            .setArchitecture(architecture)
            .setVariant(variant == null ? "" : variant)
            .build();

    assertThat(BuildKitPlatforms.arch(platform)).isEqualTo(arch);
  }

  @Test
  void aPassReportsVersionPlatformsAndWorkersAndAsksInfoOncePerConnection() throws Exception {
    try (FakeBuildKitd daemon =
            FakeBuildKitd.tcp()
                .version("v0.17.1")
                .worker("linux/arm64", "linux/amd64", "linux/arm/v7", "linux/arm64/v8")
                .worker("linux/arm64");
        HealthProbe probe =
            new BuildKitProbeFactory()
                .create(Backend.discover(daemon.addr()), HealthCheck.of("buildkit"))) {
      List<HealthProbe.Result> results = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        results.add(probe.check(Duration.ofSeconds(10)).toCompletableFuture().get(30, SECONDS));
      }

      assertThat(results)
          .extracting(HealthProbe.Result::daemon)
          .containsOnly(
              new DaemonInfo(
                  "v0.17.1",
                  List.of("linux/arm64", "linux/amd64", "linux/arm/v7", "linux/arm64/v8"),
                  List.of("aarch64", "x86_64", "armv7"),
                  2));
      assertThat(daemon.infoCalls()).isEqualTo(1);
    }
  }

  @Test
  void aBackendWithoutArchLearnsItBeforeItTakesALease() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp();
        BackendPool pool = fromYaml("backends:\n  - addr: %s\n".formatted(daemon.addr()))) {
      List<PoolEvent> events = record(pool);
      assertThat(pool.backends()).extracting(Backend::arch).containsExactly("");
      assertThat(pool.architectures()).isEmpty();
      assertThat(pool.tryAcquire("aarch64", Selector.any())).isEmpty();

      daemon.worker("linux/arm64", "linux/amd64"); // the controller gets its worker
      PoolWaits.await(pool, "a healthy aarch64 backend", () -> isHealthy(pool, "aarch64"));

      assertThat(pool.backends()).extracting(Backend::arch).containsExactly("aarch64");
      assertThat(pool.backends("aarch64")).hasSize(1);
      assertThat(pool.architectures()).containsExactly("aarch64");
      BackendStatus status = pool.status().get(0);
      assertThat(status.daemon()).isNotNull();
      assertThat(status.daemon().version()).isEqualTo("v0.13.2");
      assertThat(status.daemon().platforms()).containsExactly("linux/arm64", "linux/amd64");
      assertThat(status.emulatedArchs()).isEmpty(); // not allowed to emulate
      assertThat(status.problem()).isNull();
      try (Lease lease = pool.acquire("aarch64", Selector.any(), Duration.ZERO)) {
        assertThat(lease.backend().addr()).isEqualTo(daemon.addr());
        lease.recordSuccess();
      }
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      PoolWaits.await(pool, "the ArchDiscovered event", () -> !discovered(events).isEmpty());
      assertThat(discovered(events).get(0))
          .returns(daemon.addr(), PoolEvent.ArchDiscovered::addr)
          .returns("aarch64", PoolEvent.ArchDiscovered::arch)
          .returns(List.of(), PoolEvent.ArchDiscovered::emulatedArchs);
    }
  }

  @Test
  void aConfiguredArchTheDaemonContradictsIsHeldOutUntilTheConfigurationIsFixed() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/arm64")) {
      Path file = write("backends:\n  - addr: %s\n    arch: x86_64\n".formatted(daemon.addr()));
      try (BackendPool pool = BackendPool.fromYaml(file)) {
        List<PoolEvent> events = record(pool);
        PoolWaits.await(pool, "a problem", () -> pool.status().get(0).problem() != null);
        PoolWaits.await(pool, "health", () -> pool.status().get(0).health() == Health.HEALTHY);

        BackendStatus status = pool.status().get(0);
        assertThat(status.problem())
            .isEqualTo(
                "arch x86_64 is configured, but the daemon's native platform is linux/arm64"
                    + " (aarch64)");
        assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty(); // healthy, yet held out
        assertThat(pool.tryAcquire("aarch64", Selector.any())).isEmpty();
        PoolWaits.await(
            pool,
            "the ArchMismatch event",
            () -> events.stream().anyMatch(PoolEvent.ArchMismatch.class::isInstance));
        assertThat(events)
            .filteredOn(PoolEvent.ArchMismatch.class::isInstance)
            .first()
            .asInstanceOf(type(PoolEvent.ArchMismatch.class))
            .returns(daemon.addr(), PoolEvent.ArchMismatch::addr)
            .returns("x86_64", PoolEvent.ArchMismatch::configured)
            .returns("aarch64", PoolEvent.ArchMismatch::discovered)
            .returns("linux/arm64", PoolEvent.ArchMismatch::platform);

        write("backends:\n  - addr: %s\n    arch: aarch64\n".formatted(daemon.addr()));
        pool.reload(file);
        PoolWaits.await(pool, "a healthy aarch64 backend", () -> isHealthy(pool, "aarch64"));
        assertThat(pool.status().get(0).problem()).isNull();
        Optional<Lease> lease = pool.tryAcquire("aarch64", Selector.any());
        assertThat(lease).isPresent();
        lease.get().close();
      }
    }
  }

  @Test
  void emulatingBackendsComeBehindEveryNativeOneBackupsIncluded() throws Exception {
    try (FakeBuildKitd primary = FakeBuildKitd.tcp().worker("linux/amd64");
        FakeBuildKitd backup = FakeBuildKitd.tcp().worker("linux/amd64/v2");
        FakeBuildKitd arm = FakeBuildKitd.tcp().worker("linux/arm64", "linux/amd64", "linux/386");
        FakeBuildKitd armNoEmulation = FakeBuildKitd.tcp().worker("linux/arm64", "linux/amd64");
        BackendPool pool =
            fromYaml(
                """
                backends:
                  - {addr: %s, arch: x86_64, maxJobs: 1}
                  - {addr: %s, arch: x86_64, maxJobs: 1, backup: true}
                  - {addr: %s, maxJobs: 1, allowEmulated: true}
                  - {addr: %s, maxJobs: 1}
                """
                    .formatted(primary.addr(), backup.addr(), arm.addr(), armNoEmulation.addr()))) {
      PoolWaits.await(
          pool,
          "every backend healthy, the arm one emulating",
          () ->
              pool.status().stream().allMatch(s -> s.health() == Health.HEALTHY)
                  && pool.status().get(2).emulatedArchs().equals(List.of("x86_64", "x86")));

      assertThat(pool.architectures()).containsExactly("x86_64", "aarch64", "x86");
      assertThat(pool.backends("x86_64"))
          .extracting(Backend::addr)
          .containsExactly(primary.addr(), backup.addr());
      List<Lease> leases = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          leases.add(pool.acquire("x86_64", Selector.any(), Duration.ZERO));
        }
        assertThat(leases)
            .extracting(lease -> lease.backend().addr())
            .containsExactly(primary.addr(), backup.addr(), arm.addr());
        assertThat(pool.tryAcquire("x86_64", Selector.any()))
            .as("the arm backend that may not emulate takes no x86_64 job")
            .isEmpty();
        Lease x86 = pool.acquire("aarch64", Selector.any(), Duration.ZERO);
        leases.add(x86);
        assertThat(x86.backend().addr()).isEqualTo(armNoEmulation.addr());
      } finally {
        leases.forEach(Lease::close);
      }
    }
  }

  @Test
  void aBackendWithoutArchNeedsAProbeThatDiscoversIt() throws Exception {
    assertThatThrownBy(
            () ->
                BackendPool.builder()
                    .backend(Backend.discover("tcp://127.0.0.1:1234"))
                    .healthCheck(HealthCheck.tcp())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "arch is required for tcp://127.0.0.1:1234: give one, or a health check of a type"
                + " that discovers it (buildkit)");
    Path file =
        write(
            """
            backends:
              - addr: tcp://127.0.0.1:1234
            healthCheck: {type: tcp}
            """);
    assertThatThrownBy(() -> BackendPool.fromYaml(file))
        .isInstanceOf(PoolConfigException.class)
        .hasMessageContaining("backends.yaml:2:5: backends[0]: arch is required");
  }

  private BackendPool fromYaml(String backends) throws Exception {
    return BackendPool.fromYaml(write(backends));
  }

  private Path write(String backends) throws Exception {
    return Files.writeString(dir.resolve("backends.yaml"), backends + CHECK);
  }

  private static boolean isHealthy(BackendPool pool, String arch) {
    BackendStatus status = pool.status().get(0);
    return status.arch().equals(arch) && status.health() == Health.HEALTHY;
  }

  private static List<PoolEvent> record(BackendPool pool) {
    List<PoolEvent> events = new CopyOnWriteArrayList<>();
    AutoCloseable unused = pool.subscribe(events::add); // ends with the pool
    return events;
  }

  private static List<PoolEvent.ArchDiscovered> discovered(List<PoolEvent> events) {
    return events.stream()
        .filter(PoolEvent.ArchDiscovered.class::isInstance)
        .map(PoolEvent.ArchDiscovered.class::cast)
        .toList();
  }

  private static final TimeUnit SECONDS = TimeUnit.SECONDS;
}
