package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Slow start: a backend that becomes eligible ramps its maxJobs and weight up linearly. */
class SlowStartTest {
  private static final String ARCH = "x86_64";
  private final FakeTicker ticker = new FakeTicker();

  private BackendPool pool(Duration slowStart, Backend... backends) {
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .slowStart(slowStart)
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofSeconds(1))
            .acquireTimeout(Duration.ZERO);
    for (Backend backend : backends) {
      builder.backend(backend);
    }
    return builder.build();
  }

  /** Takes leases on {@code addr} until it is full (for now); returns them. */
  private static List<Lease> fill(BackendPool pool, String addr) {
    List<Lease> leases = new ArrayList<>();
    Selector only = Selector.parse("name=" + addr.substring(6, 7));
    while (true) {
      var lease = pool.tryAcquire(ARCH, only);
      if (lease.isEmpty()) {
        return leases;
      }
      leases.add(lease.get());
    }
  }

  private static Backend backend(String name, int maxJobs) {
    return Backend.of("tcp://" + name + ":1", ARCH)
        .withMaxJobs(maxJobs)
        .withLabels(java.util.Map.of("name", name));
  }

  @Test
  void aBackendAddedAtRunTimeRampsItsLimitLinearly() {
    try (BackendPool pool = pool(Duration.ofSeconds(10), backend("a", 4))) {
      pool.add(backend("b", 10));
      assertThat(PoolStatus.of(pool, "tcp://b:1").effectiveMaxJobs()).isEqualTo(1);
      assertThat(PoolStatus.of(pool, "tcp://b:1").maxJobs()).isEqualTo(10);
      List<Lease> held = fill(pool, "tcp://b:1");
      assertThat(held).hasSize(1);

      ticker.advance(Duration.ofMillis(4_500)); // ceil(10 * 0.45) = 5
      held.addAll(fill(pool, "tcp://b:1"));
      assertThat(held).hasSize(5);
      assertThat(PoolStatus.of(pool, "tcp://b:1").effectiveMaxJobs()).isEqualTo(5);

      ticker.advance(Duration.ofMillis(5_500)); // the ramp is over
      held.addAll(fill(pool, "tcp://b:1"));
      assertThat(held).hasSize(10);
      assertThat(PoolStatus.of(pool, "tcp://b:1").effectiveMaxJobs()).isEqualTo(10);
      held.forEach(Lease::close);
    }
  }

  @Test
  void backendsPresentAtStartUpDoNotRamp() {
    try (BackendPool pool = pool(Duration.ofSeconds(10), backend("a", 4))) {
      assertThat(fill(pool, "tcp://a:1")).hasSize(4);
      assertThat(PoolStatus.of(pool, "tcp://a:1").effectiveMaxJobs()).isEqualTo(4);
    }
  }

  @Test
  void withoutSlowStartAnAddedBackendTakesItsFullLoadAtOnce() {
    try (BackendPool pool = pool(Duration.ZERO, backend("a", 4))) {
      pool.add(backend("b", 10));
      assertThat(fill(pool, "tcp://b:1")).hasSize(10);
    }
  }

  @Test
  void aCircuitThatClosesAgainStartsARamp() throws Exception {
    try (BackendPool pool = pool(Duration.ofSeconds(10), backend("a", 8))) {
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new Exception("boom"));
      assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty(); // open
      ticker.advance(Duration.ofSeconds(1));
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordSuccess(); // the trial closes it
      assertThat(PoolStatus.of(pool, "tcp://a:1").effectiveMaxJobs()).isEqualTo(1);
      assertThat(fill(pool, "tcp://a:1")).hasSize(1).allSatisfy(Lease::close);
      ticker.advance(Duration.ofSeconds(10));
      assertThat(PoolStatus.of(pool, "tcp://a:1").effectiveMaxJobs()).isEqualTo(8);
    }
  }

  @Test
  void aRampStepServesWaiters() throws Exception {
    // Real time drives the pool's timer; the fake ticker says where the ramp is.
    try (BackendPool pool = pool(Duration.ofMillis(200), backend("a", 1))) {
      List<Lease> held = fill(pool, "tcp://a:1");
      pool.add(backend("b", 2));
      held.addAll(fill(pool, "tcp://b:1"));
      assertThat(held).hasSize(2);
      CompletableFuture<Lease> waiting =
          pool.acquireAsync(ARCH, Selector.any(), Duration.ofSeconds(30));
      assertThat(waiting).isNotDone();
      ticker.advance(Duration.ofMillis(150)); // ceil(2 * 0.75) = 2: one more on b
      assertThat(waiting.get(10, TimeUnit.SECONDS).backend().addr()).isEqualTo("tcp://b:1");
      waiting.join().close();
      held.forEach(Lease::close);
    }
  }

  @Test
  void theBuilderRefusesNegativeAndOverlongRamps() {
    assertThatThrownBy(() -> BackendPool.builder().slowStart(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slowStart must be >= 0, was -1s");
    assertThatThrownBy(() -> BackendPool.builder().slowStart(Duration.ofHours(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slowStart must be <= 1h0m0s, was 2h0m0s");
  }

  @Test
  void theRampScalesWeightTheSameWay() {
    SlowStart ramp = new SlowStart(ticker, Duration.ofSeconds(10));
    assertThat(ramp.scale(7, 0)).isEqualTo(1);
    assertThat(ramp.scale(7, Duration.ofSeconds(1).toNanos())).isEqualTo(1); // ceil(0.7)
    assertThat(ramp.scale(7, Duration.ofMillis(1_500).toNanos())).isEqualTo(2); // ceil(1.05)
    assertThat(ramp.scale(7, Duration.ofSeconds(5).toNanos())).isEqualTo(4); // ceil(3.5)
    assertThat(ramp.scale(7, Duration.ofSeconds(10).toNanos())).isEqualTo(7);
    assertThat(ramp.scale(1_000_000, Duration.ofHours(1).toNanos() - 1)).isEqualTo(1_000_000);
  }
}
