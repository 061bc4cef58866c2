package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.spi.HealthProbe;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the pool places backends by what their probes learn of the daemon: a contradicted arch holds
 * a backend out even of fail-open, waiters take emulating backends as they free, and a reload
 * switches emulation in place.
 */
class PlacementTest {
  private static final DaemonInfo ARM_EMULATING_X86 =
      new DaemonInfo(
          "v0.13.2", List.of("linux/arm64", "linux/amd64"), List.of("aarch64", "x86_64"), 1);

  @Test
  void aContradictedArchIsHeldOutEvenWhenThePoolFailsOpen() throws Exception {
    ControlledProbes wrong = new ControlledProbes("wrong", true);
    ControlledProbes right = new ControlledProbes("right", true);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://wrong:1", "x86_64"))
            .backend(Backend.of("tcp://right:1", "x86_64"))
            .healthProbe(wrong)
            .healthProbe(right)
            .healthCheck("tcp://wrong:1", wrong.check().consecutive(1, 1))
            .healthCheck("tcp://right:1", right.check().consecutive(1, 1))
            .failOpen(true)
            .build()) {
      wrong.answer(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
      right.answer(
          HealthProbe.Result.up(
              "ok", new DaemonInfo(null, List.of("linux/amd64"), List.of("x86_64"), 1)));
      wrong.answer(false);
      right.answer(false);

      assertThat(pool.status())
          .extracting(BackendStatus::health)
          .containsExactly(Health.UNHEALTHY, Health.UNHEALTHY);
      assertThat(pool.status().get(0).problem()).contains("arch x86_64 is configured");
      assertThat(pool.status().get(1).problem()).isNull();
      for (int i = 0; i < 5; i++) {
        try (Lease lease = pool.acquire("x86_64", Selector.any(), Duration.ZERO)) {
          assertThat(lease.backend().addr()).isEqualTo("tcp://right:1"); // failing open
        }
      }
    }
  }

  @Test
  void aWaiterTakesAnEmulatingBackendWhenItFrees() throws Exception {
    ControlledProbes probes = new ControlledProbes("emulating", true);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://x86:1", "x86_64").withMaxJobs(1))
            .backend(Backend.discover("tcp://arm:1").withMaxJobs(1).withAllowEmulated(true))
            .healthProbe(probes)
            .healthCheck("tcp://arm:1", probes.check().consecutive(1, 1))
            .build()) {
      probes.answer(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
      assertThat(pool.status().get(1).emulatedArchs()).containsExactly("x86_64");

      Lease onX86 = pool.acquire("x86_64", Selector.any(), Duration.ZERO);
      Lease emulated = pool.acquire("x86_64", Selector.any(), Duration.ZERO);
      assertThat(emulated.backend().addr()).isEqualTo("tcp://arm:1");
      CompletableFuture<Lease> waiting =
          pool.acquireAsync("x86_64", Selector.any(), Duration.ofMinutes(1));
      assertThat(waiting).isNotDone();

      emulated.close();
      try (Lease handed = waiting.get(20, TimeUnit.SECONDS)) {
        assertThat(handed.backend().addr()).isEqualTo("tcp://arm:1");
      }
      onX86.close();
    }
  }

  @Test
  void aReloadSwitchesEmulationInPlace() throws Exception {
    ControlledProbes probes = new ControlledProbes("reloaded", true);
    Backend x86 = Backend.of("tcp://x86:1", "x86_64").withMaxJobs(1);
    Backend arm = Backend.discover("tcp://arm:1").withMaxJobs(2).withAllowEmulated(true);
    BackendPool.Builder config =
        BackendPool.builder()
            .backend(x86)
            .backend(arm)
            .healthProbe(probes)
            .healthCheck("tcp://arm:1", probes.check().consecutive(1, 1));
    try (BackendPool pool = config.build()) {
      probes.answer(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
      Lease onX86 = pool.acquire("x86_64", Selector.any(), Duration.ZERO);
      Lease emulated = pool.acquire("x86_64", Selector.any(), Duration.ZERO);
      assertThat(emulated.backend().addr()).isEqualTo("tcp://arm:1");

      pool.reload(
          BackendPool.builder()
              .backend(x86)
              .backend(arm.withAllowEmulated(false))
              .healthProbe(probes)
              .healthCheck("tcp://arm:1", probes.check().consecutive(1, 1)));

      assertThat(pool.status().get(1).emulatedArchs()).isEmpty();
      assertThat(pool.status().get(1).activeJobs()).isEqualTo(1); // its lease is untouched
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      assertThat(pool.architectures()).containsExactly("x86_64", "aarch64");
      emulated.close();
      onX86.close();
      assertThat(pool.status().get(1).activeJobs()).isZero();
    }
  }

  @Test
  void whatProbesLearnWhileThePoolIsBeingBuiltIsNotLost() {
    HealthProbe.Factory immediate =
        new HealthProbe.Factory() {
          @Override
          public String type() {
            return "immediate";
          }

          @Override
          public boolean discoversArch() {
            return true;
          }

          @Override
          public HealthProbe create(Backend backend, HealthCheck check) {
            return timeout ->
                CompletableFuture.completedFuture(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
          }
        };
    BackendPool.Builder builder =
        BackendPool.builder()
            .healthProbe(immediate)
            .healthCheck(HealthCheck.of("immediate").withInterval(Duration.ofMinutes(10)));
    for (int i = 0; i < 200; i++) {
      builder.backend(Backend.discover("tcp://arm-" + i + ":1"));
    }
    try (BackendPool pool = builder.build()) {
      Eventually.until(
          "every backend placed", () -> pool.backends("aarch64").size() == 200, pool::status);
      assertThat(pool.status()).allMatch(status -> status.health() == Health.HEALTHY);
    }
  }

  @Test
  void leasesAndOperatorsCallsNameTheArchABackendLearned() throws Exception {
    ControlledProbes probes = new ControlledProbes("learned", true);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.discover("tcp://arm:1"))
            .backend(Backend.of("tcp://x86:1", "x86_64"))
            .healthProbe(probes)
            .healthCheck("tcp://arm:1", probes.check().consecutive(1, 1))
            .build()) {
      probes.answer(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
      Backend learned = Backend.discover("tcp://arm:1").withArch("aarch64");

      try (Lease lease = pool.acquire("aarch64", Selector.any(), Duration.ZERO)) {
        assertThat(lease.backend()).isEqualTo(learned);
      }
      assertThat(pool.backends("aarch64")).containsExactly(learned);
      assertThat(pool.cordon("tcp://arm:1")).containsExactly(learned);
      assertThat(pool.uncordon("tcp://arm:1")).containsExactly(learned);
    }
  }

  @Test
  void anArchOfLearnedBackendsGoesAllDownAndRecovers() throws Exception {
    ControlledProbes probes = new ControlledProbes("down", true);
    BlockingQueue<PoolEvent> events = new LinkedBlockingQueue<>();
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.discover("tcp://arm:1"))
            .backend(Backend.of("tcp://x86:1", "x86_64"))
            .healthProbe(probes)
            .healthCheck("tcp://arm:1", probes.check().consecutive(1, 1))
            .failureThreshold(1)
            .build()) {
      pool.subscribe(events::add); // ends with the pool

      probes.answer(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
      assertThat(archEvent(events)).isInstanceOf(PoolEvent.ArchDiscovered.class);

      pool.cordon("tcp://arm:1");
      assertThat(archEvent(events))
          .isInstanceOfSatisfying(
              PoolEvent.AllDown.class, down -> assertThat(down.arch()).isEqualTo("aarch64"));
      pool.uncordon("tcp://arm:1");
      assertThat(archEvent(events))
          .isInstanceOfSatisfying(
              PoolEvent.Recovered.class, up -> assertThat(up.arch()).isEqualTo("aarch64"));

      // Its circuit opens: told by the circuit, not by an operator.
      pool.acquire("aarch64", Selector.any(), Duration.ZERO).recordFailure(new Exception("lost"));
      assertThat(archEvent(events))
          .isInstanceOfSatisfying(
              PoolEvent.AllDown.class, down -> assertThat(down.arch()).isEqualTo("aarch64"));
    }
  }

  /** The next event about an arch (or a discovery), skipping those about one backend. */
  private static PoolEvent archEvent(BlockingQueue<PoolEvent> events) throws InterruptedException {
    while (true) {
      PoolEvent event = events.poll(10, TimeUnit.SECONDS);
      assertThat(event).as("an event within 10s").isNotNull();
      if (event instanceof PoolEvent.AllDown
          || event instanceof PoolEvent.Recovered
          || event instanceof PoolEvent.ArchDiscovered) {
        return event;
      }
    }
  }

  @Test
  void aDaemonNamingAnArchNoBackendCouldHoldPlacesNothingAndBreaksNothing() throws Exception {
    ControlledProbes probes = new ControlledProbes("hostile-daemon", true);
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.discover("tcp://arm:1"))
            .backend(Backend.of("tcp://x86:1", "x86_64"))
            .healthProbe(probes)
            .healthCheck("tcp://arm:1", probes.check().consecutive(1, 1))
            .build()) {
      probes.answer(
          HealthProbe.Result.up(
              "ok",
              new DaemonInfo(
                  "v0\nWARN forged",
                  List.of("linux/arm64\u001b[2J"),
                  List.of("aarch64\u001b[2J", "x86_64"),
                  1)));

      BackendStatus arm = PoolStatus.of(pool, "tcp://arm:1");
      assertThat(arm.health()).isEqualTo(Health.HEALTHY);
      assertThat(arm.arch()).as("no arch learned from a name a backend could not hold").isEmpty();
      assertThat(arm.daemon()).isNotNull();
      assertThat(arm.daemon().version()).isEqualTo("v0\\nWARN forged");
      assertThat(pool.backends("x86_64")).extracting(Backend::addr).containsExactly("tcp://x86:1");

      probes.answer(HealthProbe.Result.up("ok", ARM_EMULATING_X86));
      Eventually.until(
          "placed once the daemon names aarch64",
          () -> PoolStatus.of(pool, "tcp://arm:1").arch().equals("aarch64"),
          pool::status);
    }
  }
}
