package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.core.breaker.ConsecutiveFailuresCircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Affinity keys: consistent hashing with bounded load, through the public API. */
class AffinityTest {
  private static final String ARCH = "x86_64";
  private static final int KEYS = 10_000;

  private static Backend backend(int i, int maxJobs) {
    return new Backend("tcp://b" + i + ":1234", ARCH, maxJobs, Map.of("name", "b" + i));
  }

  private static BackendPool pool(int n, int maxJobs) {
    BackendPool.Builder builder = BackendPool.builder().acquireTimeout(Duration.ZERO);
    for (int i = 0; i < n; i++) {
      builder.backend(backend(i, maxJobs));
    }
    return builder.build();
  }

  private static AcquireOptions key(String key) {
    return AcquireOptions.defaults().withAffinityKey(key);
  }

  /** Where the key lands on an idle pool. */
  private static String home(BackendPool pool, String key) {
    try (Lease lease = pool.tryAcquire(ARCH, Selector.any(), key(key)).orElseThrow()) {
      return lease.backend().addr();
    }
  }

  private static Map<String, String> homes(BackendPool pool) {
    Map<String, String> homes = new HashMap<>();
    for (int i = 0; i < KEYS; i++) {
      homes.put("pkg-" + i, home(pool, "pkg-" + i));
    }
    return homes;
  }

  @Test
  void theSameKeyLandsOnTheSameBackendAndKeysSpreadOverAll() {
    try (BackendPool pool = pool(8, 4)) {
      Map<String, String> first = homes(pool);
      assertThat(homes(pool)).isEqualTo(first);
      Map<String, Integer> perBackend = new HashMap<>();
      first.values().forEach(addr -> perBackend.merge(addr, 1, Integer::sum));
      assertThat(perBackend).hasSize(8);
      // 1,250 expected each; 40 points per backend keep the spread within about a third.
      assertThat(perBackend.values()).allSatisfy(n -> assertThat(n).isBetween(800, 1_700));
    }
  }

  @Test
  void addingABackendMovesOnlyKeysToIt() {
    try (BackendPool pool = pool(10, 4)) {
      Map<String, String> before = homes(pool);
      pool.add(backend(10, 4));
      Map<String, String> after = homes(pool);
      int moved = 0;
      for (Map.Entry<String, String> entry : before.entrySet()) {
        String now = after.get(entry.getKey());
        if (!now.equals(entry.getValue())) {
          assertThat(now).isEqualTo("tcp://b10:1234");
          moved++;
        }
      }
      // About 1/11 of the keys: 909.
      assertThat((double) moved).isCloseTo(KEYS / 11.0, within(KEYS / 11.0 * 0.5));
    }
  }

  @Test
  void removingABackendMovesOnlyItsKeys() {
    try (BackendPool pool = pool(10, 4)) {
      Map<String, String> before = homes(pool);
      pool.remove("tcp://b3:1234");
      Map<String, String> after = homes(pool);
      int moved = 0;
      for (Map.Entry<String, String> entry : before.entrySet()) {
        if (!after.get(entry.getKey()).equals(entry.getValue())) {
          assertThat(entry.getValue()).isEqualTo("tcp://b3:1234");
          moved++;
        }
      }
      long hadB3 = before.values().stream().filter("tcp://b3:1234"::equals).count();
      assertThat(moved).isEqualTo(hadB3);
    }
  }

  @Test
  void heavierBackendsAreHomeToProportionallyMoreKeys() {
    BackendPool.Builder builder = BackendPool.builder().acquireTimeout(Duration.ZERO);
    builder.backend(backend(0, 4)).backend(backend(1, 4).withWeight(3));
    try (BackendPool pool = builder.build()) {
      long onHeavy = homes(pool).values().stream().filter("tcp://b1:1234"::equals).count();
      assertThat((double) onHeavy).isCloseTo(KEYS * 0.75, within(KEYS * 0.05));
    }
  }

  @Test
  void aHotKeyIsBoundedAndSpillsToTheNextBackends() {
    int n = 4;
    double loadFactor = 1.25;
    try (BackendPool pool = pool(n, 100)) {
      String home = home(pool, "hot");
      List<Lease> held = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        int total = pool.status().stream().mapToInt(BackendStatus::activeJobs).sum();
        long bound = (long) Math.ceil(loadFactor * (total + 1) / n);
        Lease lease = pool.tryAcquire(ARCH, Selector.any(), key("hot")).orElseThrow();
        held.add(lease);
        assertThat(PoolStatus.of(pool, lease.backend().addr()).activeJobs())
            .isLessThanOrEqualTo((int) bound);
      }
      // The home takes as much as the bound allows, and the others share the rest.
      assertThat(PoolStatus.of(pool, home).activeJobs()).isEqualTo(32); // ceil(1.25 * 100 / 4)
      assertThat(pool.status()).extracting(BackendStatus::activeJobs).allMatch(a -> a <= 32);
      held.forEach(Lease::close);
      assertThat(home(pool, "hot")).isEqualTo(home);
    }
  }

  @Test
  void theKeyRespectsMaxJobsSelectorsAndWaits() throws Exception {
    try (BackendPool pool = pool(3, 1)) {
      String home = home(pool, "k");
      Lease first = pool.tryAcquire(ARCH, Selector.any(), key("k")).orElseThrow();
      assertThat(first.backend().addr()).isEqualTo(home);
      // Home full: the key goes to the next backend in its order.
      Lease second = pool.tryAcquire(ARCH, Selector.any(), key("k")).orElseThrow();
      assertThat(second.backend().addr()).isNotEqualTo(home);
      // A selector narrows the candidates: only b0 matches, whatever the key's home.
      Selector onlyB0 = Selector.parse("name=b0");
      List<Lease> others = new ArrayList<>();
      pool.tryAcquire(ARCH, Selector.any(), key("k")).ifPresent(others::add);
      assertThat(pool.tryAcquire(ARCH, onlyB0, key("k"))).isEmpty();
      // All full: a keyed acquire waits its timeout, and is served by a release.
      CompletableFuture<Lease> waiting =
          pool.acquireAsync(ARCH, Selector.any(), key("k").withTimeout(Duration.ofSeconds(30)));
      assertThat(waiting).isNotDone();
      first.close();
      assertThat(waiting.get(10, TimeUnit.SECONDS).backend().addr()).isEqualTo(home);
      waiting.join().close();
      second.close();
      others.forEach(Lease::close);
    }
  }

  @Test
  void withoutAKeyTheStrategyDecides() throws Exception {
    try (BackendPool pool = pool(4, 4)) {
      // least-loaded on an idle pool: always the first.
      for (int i = 0; i < 10; i++) {
        try (Lease lease = pool.acquire(ARCH, Selector.any(), AcquireOptions.defaults())) {
          assertThat(lease.backend().addr()).isEqualTo("tcp://b0:1234");
        }
      }
    }
  }

  @Test
  void theRingFollowsTheNumberOfBackendsNotTheSizeOfTheirWeights() {
    List<Slot> slots = new ArrayList<>();
    for (int i = 0; i < 70; i++) {
      Backend backend = backend(i, 4).withWeight(i % 2 == 0 ? 100 : 300);
      slots.add(
          Slot.create(
              backend,
              4,
              ConsecutiveFailuresCircuitBreaker.factory(3, Duration.ofSeconds(30)),
              null,
              null,
              new SlowStart(dev.melange.pool.Ticker.system(), Duration.ZERO),
              null,
              new PoolEvents(null)));
    }
    // 40 points for the mean weight (200): 20 for weight 100, 60 for weight 300.
    assertThat(new AffinityRing(new CandidateList(slots)).size()).isEqualTo(35 * 20 + 35 * 60);
  }
}
