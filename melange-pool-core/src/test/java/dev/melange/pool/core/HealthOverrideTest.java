package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendNotFoundException;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Health;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** setHealth overrides, fail-open, and what they tell listeners. */
class HealthOverrideTest {
  private static final String ARCH = "x86_64";
  private final FakeTicker ticker = new FakeTicker();

  private BackendPool pool(boolean failOpen, String... addrs) {
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofSeconds(10))
            .slowStart(Duration.ofSeconds(10))
            .failOpen(failOpen)
            .acquireTimeout(Duration.ZERO);
    for (String addr : addrs) {
      builder.backend(Backend.of(addr, ARCH).withMaxJobs(4));
    }
    return builder.build();
  }

  private static String take(BackendPool pool) {
    try (Lease lease = pool.tryAcquire(ARCH, Selector.any()).orElseThrow()) {
      return lease.backend().addr();
    }
  }

  @Test
  void withoutAHealthCheckABackendIsHealthyAndNeverProbed() {
    try (BackendPool pool = pool(true, "tcp://a:1")) {
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);
      assertThat(PoolStatus.of(pool, "tcp://a:1").lastProbe()).isNull();
    }
  }

  @Test
  void anUnhealthyBackendGetsNoNewLeaseAndAutoBringsItBackWithASlowStart() {
    try (BackendPool pool = pool(true, "tcp://a:1", "tcp://b:1")) {
      Lease onA = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      assertThat(pool.setHealth("tcp://a:*", HealthOverride.UNHEALTHY))
          .extracting(Backend::addr)
          .containsExactly("tcp://a:1");
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.UNHEALTHY);
      for (int i = 0; i < 5; i++) {
        assertThat(take(pool)).isEqualTo("tcp://b:1");
      }
      onA.recordSuccess(); // its lease finishes normally
      pool.setHealth("tcp://a:1", HealthOverride.AUTO);
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);
      assertThat(PoolStatus.of(pool, "tcp://a:1").effectiveMaxJobs()).isEqualTo(1); // ramping
      ticker.advance(Duration.ofSeconds(10));
      assertThat(PoolStatus.of(pool, "tcp://a:1").effectiveMaxJobs()).isEqualTo(4);
    }
  }

  @Test
  void aPatternThatMatchesNothingIsAnError() {
    try (BackendPool pool = pool(true, "tcp://a:1")) {
      assertThatThrownBy(() -> pool.setHealth("tcp://z*", HealthOverride.UNHEALTHY))
          .isInstanceOf(BackendNotFoundException.class)
          .hasMessage("no backend matches \"tcp://z*\"");
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);
    }
  }

  @Test
  void whenEveryCandidateIsUnhealthyThePoolFailsOpenToThoseWhoseCircuitAdmits() throws Exception {
    try (BackendPool pool = pool(true, "tcp://a:1", "tcp://b:1")) {
      BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
      pool.subscribe(heard::add);
      // b's circuit opens.
      pool.cordon("tcp://a:1");
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new Exception("boom"));
      pool.uncordon("tcp://a:1");
      pool.setHealth("*", HealthOverride.UNHEALTHY);
      // Both unhealthy, b open: a takes the lease anyway.
      assertThat(take(pool)).isEqualTo("tcp://a:1");
      assertThat(take(pool)).isEqualTo("tcp://a:1");
      pool.setHealth("tcp://b:1", HealthOverride.AUTO); // b healthy again, but its circuit is open
      assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty(); // no more failing open

      List<Class<?>> kinds = new ArrayList<>();
      PoolEvent event;
      while ((event = heard.poll(2, TimeUnit.SECONDS)) != null) {
        kinds.add(event.getClass());
      }
      assertThat(kinds)
          .containsSubsequence(
              PoolEvent.HealthChanged.class,
              PoolEvent.HealthChanged.class,
              PoolEvent.FailOpenEntered.class,
              PoolEvent.HealthChanged.class,
              PoolEvent.FailOpenExited.class);
      assertThat(kinds.stream().filter(PoolEvent.FailOpenEntered.class::equals)).hasSize(1);
    }
  }

  @Test
  void withFailOpenOffAnAllUnhealthyPoolWaitsForAHealthyBackend() throws Exception {
    try (BackendPool pool = pool(false, "tcp://a:1", "tcp://b:1")) {
      pool.setHealth("*", HealthOverride.UNHEALTHY);
      assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty();
      CompletableFuture<Lease> waiting =
          pool.acquireAsync(ARCH, Selector.any(), Duration.ofSeconds(30));
      assertThat(waiting).isNotDone();
      pool.setHealth("tcp://b:1", HealthOverride.HEALTHY);
      assertThat(waiting.get(10, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://b:1");
      waiting.join().close();
    }
  }

  @Test
  void aWaiterIsServedFailingOpenToo() throws Exception {
    try (BackendPool pool = pool(true, "tcp://a:1")) {
      List<Lease> held = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        held.add(pool.tryAcquire(ARCH, Selector.any()).orElseThrow());
      }
      pool.setHealth("tcp://a:1", HealthOverride.UNHEALTHY);
      CompletableFuture<Lease> waiting =
          pool.acquireAsync(ARCH, Selector.any(), Duration.ofSeconds(30));
      assertThat(waiting).isNotDone();
      held.get(0).close();
      assertThat(waiting.get(10, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://a:1");
      waiting.join().close();
      held.subList(1, 4).forEach(Lease::close);
    }
  }

  @Test
  void failingOpenPrefersPrimariesToBackups() {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://spare:1", ARCH).withMaxJobs(4).withBackup(true))
            .backend(Backend.of("tcp://main:1", ARCH).withMaxJobs(4))
            .acquireTimeout(Duration.ZERO)
            .build();
    try (pool) {
      pool.setHealth("*", HealthOverride.UNHEALTHY);
      for (int i = 0; i < 5; i++) {
        assertThat(take(pool)).isEqualTo("tcp://main:1");
      }
    }
  }

  @Test
  void failingOpenIsPerRequestSoAnotherSelectorsHealthyBackendDoesNotEndIt() throws Exception {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://gpu:1", ARCH).withLabels(java.util.Map.of("gpu", "t4")))
            .backend(Backend.of("tcp://cpu:1", ARCH))
            .acquireTimeout(Duration.ZERO)
            .build();
    try (pool) {
      BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();
      pool.subscribe(heard::add);
      pool.setHealth("tcp://gpu:1", HealthOverride.UNHEALTHY);
      Selector gpu = Selector.parse("gpu");
      pool.tryAcquire(ARCH, gpu).orElseThrow().close(); // fails open
      pool.uncordon("tcp://cpu:1"); // a healthy backend, but not a gpu one
      pool.tryAcquire(ARCH, gpu).orElseThrow().close(); // still failing open, not entered again
      pool.setHealth("tcp://gpu:1", HealthOverride.AUTO);
      List<Class<?>> kinds = new ArrayList<>();
      PoolEvent event;
      while ((event = heard.poll(2, TimeUnit.SECONDS)) != null) {
        if (event instanceof PoolEvent.FailOpenEntered
            || event instanceof PoolEvent.FailOpenExited) {
          kinds.add(event.getClass());
        }
      }
      assertThat(kinds)
          .containsExactly(PoolEvent.FailOpenEntered.class, PoolEvent.FailOpenExited.class);
    }
  }
}
