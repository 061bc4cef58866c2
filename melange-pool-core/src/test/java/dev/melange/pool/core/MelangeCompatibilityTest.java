package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendNotFoundException;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.DuplicateBackendException;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.PoolException;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** melange-server's pool tests, ported: every rule of its pool holds here too. */
class MelangeCompatibilityTest {
  private final FakeTicker ticker = new FakeTicker();

  private static Backend backend(
      String addr, String arch, int maxJobs, Map<String, String> labels) {
    return new Backend(addr, arch, maxJobs, labels);
  }

  private BackendPool.Builder builder() {
    return BackendPool.builder().ticker(ticker).acquireTimeout(Duration.ZERO);
  }

  @Test
  void aPoolNeedsAtLeastOneBackend() {
    assertThatThrownBy(() -> builder().build())
        .isInstanceOf(PoolException.class)
        .hasMessage("at least one backend is required");
  }

  @Test
  void backendsNeedAnAddrAndAnArch() {
    assertThatThrownBy(() -> Backend.of("", "x86_64"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("addr is required");
    assertThatThrownBy(() -> Backend.of("tcp://a:1234", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("arch is required");
  }

  @Test
  void duplicateAddrsAreRefusedWhenBuilding() {
    assertThatThrownBy(
            () ->
                builder()
                    .backend(Backend.of("tcp://a:1234", "x86_64"))
                    .backend(Backend.of("tcp://a:1234", "aarch64"))
                    .build())
        .isInstanceOf(DuplicateBackendException.class)
        .hasMessage("backend already exists: tcp://a:1234");
  }

  @Test
  void selectsByArch() throws Exception {
    try (BackendPool pool =
        builder()
            .backend(Backend.of("tcp://x86:1234", "x86_64"))
            .backend(Backend.of("tcp://arm:1234", "aarch64"))
            .build()) {
      try (Lease lease = pool.acquire("aarch64", Selector.any())) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://arm:1234");
      }
      try (Lease lease = pool.acquire("x86_64", Selector.any())) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://x86:1234");
      }
    }
  }

  @Test
  void selectsBySelector() throws Exception {
    try (BackendPool pool =
        builder()
            .backend(backend("tcp://std:1234", "x86_64", 4, Map.of("tier", "standard")))
            .backend(backend("tcp://big:1234", "x86_64", 4, Map.of("tier", "high-memory")))
            .build()) {
      try (Lease lease = pool.acquire("x86_64", Selector.of(Map.of("tier", "high-memory")))) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://big:1234");
      }
      try (Lease lease = pool.acquire("x86_64", Selector.parse("tier=standard"))) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://std:1234");
      }
    }
  }

  @Test
  void spreadsLoadToTheLeastLoadedBackend() throws Exception {
    try (BackendPool pool =
        builder()
            .backend(backend("tcp://a:1234", "x86_64", 4, Map.of()))
            .backend(backend("tcp://b:1234", "x86_64", 4, Map.of()))
            .build()) {
      Map<String, Integer> counts = new HashMap<>();
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Lease lease = pool.acquire("x86_64", Selector.any());
        counts.merge(lease.backend().addr(), 1, Integer::sum);
        leases.add(lease);
      }
      assertThat(counts)
          .containsExactlyInAnyOrderEntriesOf(Map.of("tcp://a:1234", 4, "tcp://b:1234", 4));
      leases.forEach(Lease::close);
    }
  }

  @Test
  void loadIsRelativeToMaxJobs() throws Exception {
    try (BackendPool pool =
        builder()
            .backend(backend("tcp://small:1234", "x86_64", 1, Map.of()))
            .backend(backend("tcp://large:1234", "x86_64", 4, Map.of()))
            .build()) {
      Lease first = pool.acquire("x86_64", Selector.any());
      Lease second = pool.acquire("x86_64", Selector.any());
      // small: 1/1 after the first; large: 0/4 then 1/4, still lighter than full.
      assertThat(first.backend().addr()).isEqualTo("tcp://small:1234");
      assertThat(second.backend().addr()).isEqualTo("tcp://large:1234");
      first.close();
      second.close();
    }
  }

  @Test
  void singleBackendModeDefaultsToX86() throws Exception {
    try (BackendPool pool = BackendPool.single("tcp://localhost:1234", null)) {
      assertThat(pool.backends()).containsExactly(Backend.of("tcp://localhost:1234", "x86_64"));
      assertThat(pool.architectures()).containsExactly("x86_64");
      assertThat(pool.totalCapacity()).isEqualTo(4);
    }
    try (BackendPool pool = BackendPool.single("tcp://localhost:1234", "  ")) {
      assertThat(pool.architectures()).containsExactly("x86_64");
    }
    try (BackendPool pool = BackendPool.single("tcp://localhost:1234", "aarch64")) {
      assertThat(pool.architectures()).containsExactly("aarch64");
    }
  }

  @Test
  void listsBackendsByArch() {
    try (BackendPool pool =
        builder()
            .backend(Backend.of("tcp://x1:1234", "x86_64"))
            .backend(Backend.of("tcp://a1:1234", "aarch64"))
            .backend(Backend.of("tcp://x2:1234", "x86_64"))
            .build()) {
      assertThat(pool.backends("x86_64"))
          .extracting(Backend::addr)
          .containsExactly("tcp://x1:1234", "tcp://x2:1234");
      assertThat(pool.backends("aarch64"))
          .extracting(Backend::addr)
          .containsExactly("tcp://a1:1234");
      assertThat(pool.backends("riscv64")).isEmpty();
      assertThat(pool.architectures()).containsExactly("x86_64", "aarch64");
      assertThat(pool.backends())
          .extracting(Backend::addr)
          .containsExactly("tcp://x1:1234", "tcp://a1:1234", "tcp://x2:1234");
    }
  }

  @Test
  void addsAndRemovesBackends() throws Exception {
    try (BackendPool pool = builder().backend(Backend.of("tcp://a:1234", "x86_64")).build()) {
      pool.add(Backend.of("tcp://arm:1234", "aarch64").withLabels(Map.of("tier", "standard")));
      assertThat(pool.architectures()).containsExactly("x86_64", "aarch64");
      try (Lease lease = pool.acquire("aarch64", Selector.parse("tier=standard"))) {
        assertThat(lease.backend().addr()).isEqualTo("tcp://arm:1234");
      }
      pool.remove("tcp://arm:1234");
      assertThat(pool.architectures()).containsExactly("x86_64");
      assertThat(pool.backends()).extracting(Backend::addr).containsExactly("tcp://a:1234");
    }
  }

  @Test
  void addRefusesDuplicatesAndRemoveRefusesUnknownOrLast() {
    try (BackendPool pool = builder().backend(Backend.of("tcp://a:1234", "x86_64")).build()) {
      assertThatThrownBy(() -> pool.add(Backend.of("tcp://a:1234", "aarch64")))
          .isInstanceOf(DuplicateBackendException.class)
          .hasMessage("backend already exists: tcp://a:1234");
      assertThatThrownBy(() -> pool.remove("tcp://nope:1234"))
          .isInstanceOf(BackendNotFoundException.class)
          .hasMessage("backend not found: tcp://nope:1234");
      assertThatThrownBy(() -> pool.remove("tcp://a:1234"))
          .isInstanceOf(PoolException.class)
          .hasMessage("cannot remove the last backend");
      assertThat(pool.backends()).hasSize(1);
    }
  }

  @Test
  void capacityLimitsConcurrentLeases() throws Exception {
    try (BackendPool pool =
        builder().backend(backend("tcp://a:1234", "x86_64", 2, Map.of())).build()) {
      Lease one = pool.acquire("x86_64", Selector.any());
      Lease two = pool.acquire("x86_64", Selector.any());
      assertThatThrownBy(() -> pool.acquire("x86_64", Selector.any()))
          .isInstanceOf(NoBackendAvailableException.class)
          .hasMessageStartingWith(
              "no available backend: all backends are at capacity or circuit-open");
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      one.close();
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isPresent();
      two.close();
    }
  }

  @Test
  void backendsWithoutMaxJobsGetThePoolDefault() {
    try (BackendPool pool =
        builder()
            .defaultMaxJobs(7)
            .backend(Backend.of("tcp://a:1234", "x86_64"))
            .backend(Backend.of("tcp://b:1234", "x86_64").withMaxJobs(2))
            .build()) {
      assertThat(pool.status()).extracting(BackendStatus::maxJobs).containsExactly(7, 2);
      assertThat(pool.totalCapacity()).isEqualTo(9);
      assertThat(pool.backends().get(0).maxJobs()).isZero();
    }
  }

  @Test
  void circuitOpensAfterThresholdAndRecoversAfterTimeout() throws Exception {
    try (BackendPool pool =
        builder()
            .failureThreshold(2)
            .recoveryTimeout(Duration.ofSeconds(30))
            .backend(Backend.of("tcp://a:1234", "x86_64"))
            .build()) {
      pool.acquire("x86_64", Selector.any()).recordFailure(new RuntimeException("boom"));
      assertThat(pool.status().get(0).circuitOpen()).isFalse();
      pool.acquire("x86_64", Selector.any()).recordFailure(new RuntimeException("boom"));
      assertThat(pool.status().get(0).circuitOpen()).isTrue();
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();

      ticker.advance(Duration.ofSeconds(29));
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isEmpty();
      ticker.advance(Duration.ofSeconds(1));
      Lease trial = pool.acquire("x86_64", Selector.any());
      trial.recordSuccess();
      BackendStatus status = pool.status().get(0);
      assertThat(status.circuitOpen()).isFalse();
      assertThat(status.failures()).isZero();
    }
  }

  @Test
  void statusReportsEveryBackend() throws Exception {
    try (BackendPool pool =
        builder()
            .backend(backend("tcp://a:1234", "x86_64", 4, Map.of("tier", "standard")))
            .backend(backend("tcp://b:1234", "aarch64", 2, Map.of()))
            .build()) {
      Lease lease = pool.acquire("x86_64", Selector.any());
      pool.acquire("aarch64", Selector.any()).recordFailure(new IllegalStateException("x"));
      List<BackendStatus> status = pool.status();
      assertThat(status).hasSize(2);
      BackendStatus a = status.get(0);
      assertThat(a.addr()).isEqualTo("tcp://a:1234");
      assertThat(a.arch()).isEqualTo("x86_64");
      assertThat(a.labels()).containsExactlyEntriesOf(Map.of("tier", "standard"));
      assertThat(a.maxJobs()).isEqualTo(4);
      assertThat(a.activeJobs()).isEqualTo(1);
      assertThat(a.failures()).isZero();
      assertThat(a.circuitOpen()).isFalse();
      assertThat(a.lastFailure()).isNull();
      BackendStatus b = status.get(1);
      assertThat(b.activeJobs()).isZero();
      assertThat(b.failures()).isEqualTo(1);
      assertThat(b.lastFailure()).isNotNull();
      lease.close();
    }
  }

  @Test
  void totalCapacityIsTheSumOfEffectiveLimits() {
    try (BackendPool pool =
        builder()
            .backend(Backend.of("tcp://a:1234", "x86_64").withMaxJobs(3))
            .backend(Backend.of("tcp://b:1234", "x86_64"))
            .build()) {
      assertThat(pool.totalCapacity()).isEqualTo(7);
      pool.add(Backend.of("tcp://c:1234", "aarch64").withMaxJobs(5));
      assertThat(pool.totalCapacity()).isEqualTo(12);
      pool.remove("tcp://a:1234");
      assertThat(pool.totalCapacity()).isEqualTo(9);
    }
  }

  @Test
  void totalCapacityOfThousandsOfBackendsAtTheLimitDoesNotOverflow() {
    BackendPool.Builder builder = builder();
    for (int i = 0; i < 3_000; i++) {
      builder.backend(Backend.of("tcp://b" + i + ":1234", "x86_64").withMaxJobs(1_000_000));
    }
    try (BackendPool pool = builder.build()) {
      assertThat(pool.totalCapacity()).isEqualTo(3_000_000_000L);
      pool.add(Backend.of("tcp://one-more:1234", "x86_64").withMaxJobs(Backend.MAX_JOBS_LIMIT));
      assertThat(pool.totalCapacity()).isEqualTo(3_001_000_000L);
    }
  }

  @Test
  void hundredConcurrentAcquirersNeverExceedCapacity() throws Exception {
    int backends = 5;
    int maxJobs = 4;
    BackendPool.Builder builder = BackendPool.builder().acquireTimeout(Duration.ofSeconds(60));
    for (int i = 0; i < backends; i++) {
      builder.backend(Backend.of("tcp://b" + i + ":1234", "x86_64").withMaxJobs(maxJobs));
    }
    ExecutorService executor = Executors.newFixedThreadPool(100);
    try (BackendPool pool = builder.build()) {
      Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
      AtomicInteger violations = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> jobs = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        jobs.add(
            executor.submit(
                () -> {
                  start.await();
                  try (Lease lease = pool.acquire("x86_64", Selector.any())) {
                    AtomicInteger counter =
                        running.computeIfAbsent(lease.backend().addr(), a -> new AtomicInteger());
                    if (counter.incrementAndGet() > maxJobs) {
                      violations.incrementAndGet();
                    }
                    Thread.onSpinWait();
                    counter.decrementAndGet();
                    lease.recordSuccess();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> job : jobs) {
        job.get(60, TimeUnit.SECONDS);
      }
      assertThat(violations).hasValue(0);
      assertThat(pool.status()).allSatisfy(s -> assertThat(s.activeJobs()).isZero());
    } finally {
      executor.shutdownNow();
    }
  }
}
