package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.spi.LoadBalancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each built-in strategy's defining property, through the public API. */
class StrategiesTest {
  private static final String ARCH = "x86_64";
  private final FakeTicker ticker = new FakeTicker();

  /** Backends b0..b(n-1), each labelled {@code name=bN} so a test can load one on purpose. */
  private static List<Backend> backends(int n, int maxJobs) {
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      backends.add(new Backend("tcp://b" + i + ":1234", ARCH, maxJobs, Map.of("name", "b" + i)));
    }
    return backends;
  }

  private BackendPool pool(LoadBalancer strategy, List<Backend> backends) {
    BackendPool.Builder builder =
        BackendPool.builder().ticker(ticker).acquireTimeout(Duration.ZERO).strategy(strategy);
    backends.forEach(builder::backend);
    return builder.build();
  }

  private static LoadBalancer seeded(String name) {
    return Strategies.create(StrategySettings.of(name), new Random(42));
  }

  private static String take(BackendPool pool) {
    Lease lease = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
    lease.close();
    return name(lease);
  }

  private static String name(Lease lease) {
    return lease.backend().labels().get("name");
  }

  /** Holds {@code count} leases on one backend, chosen by its label. */
  private static List<Lease> load(BackendPool pool, String name, int count) {
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      leases.add(pool.tryAcquire(ARCH, Selector.parse("name=" + name)).orElseThrow());
    }
    return leases;
  }

  private static Map<String, Integer> countPicks(BackendPool pool, int picks) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(take(pool), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobinGivesEachBackendExactlyItsShare() {
    int n = 5;
    int k = 7;
    try (BackendPool pool =
        pool(Strategies.create(StrategySettings.of("round-robin")), backends(n, k))) {
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < n * k; i++) {
        leases.add(pool.tryAcquire(ARCH, Selector.any()).orElseThrow());
      }
      assertThat(pool.status()).extracting(BackendStatus::activeJobs).containsOnly(k);
      leases.forEach(Lease::close);
      // And with each lease closed at once: the rotation goes on where it was.
      assertThat(countPicks(pool, n * k))
          .hasSize(n)
          .containsOnlyKeys("b0", "b1", "b2", "b3", "b4")
          .allSatisfy((name, count) -> assertThat(count).isEqualTo(k));
    }
  }

  @Test
  void roundRobinSkipsBackendsThatCannotTakeALease() {
    try (BackendPool pool =
        pool(Strategies.create(StrategySettings.of("round-robin")), backends(3, 1))) {
      List<Lease> held = load(pool, "b1", 1);
      assertThat(countPicks(pool, 10)).containsOnlyKeys("b0", "b2");
      held.forEach(Lease::close);
    }
  }

  @Test
  void randomSpreadsEvenly() {
    try (BackendPool pool = pool(seeded("random"), backends(4, 4))) {
      Map<String, Integer> counts = countPicks(pool, 40_000);
      // 10,000 expected each; the standard deviation is about 87, so 5% is over 5 sigmas.
      assertThat(counts.values()).allSatisfy(count -> assertThat(count).isBetween(9_500, 10_500));
    }
  }

  @Test
  void randomNeverPicksABackendThatIsFull() {
    try (BackendPool pool = pool(seeded("random"), backends(4, 1))) {
      List<Lease> held = new ArrayList<>(load(pool, "b0", 1));
      held.addAll(load(pool, "b2", 1));
      assertThat(countPicks(pool, 1_000).keySet()).containsOnly("b1", "b3");
      held.forEach(Lease::close);
    }
  }

  @Test
  void weightedRandomPicksInProportionToWeight() {
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      backends.add(backends(4, 4).get(i).withWeight(i + 1));
    }
    try (BackendPool pool = pool(seeded("weighted-random"), backends)) {
      Map<String, Integer> counts = countPicks(pool, 50_000);
      for (int i = 0; i < 4; i++) {
        double expected = 50_000 * (i + 1) / 10.0;
        assertThat((double) counts.get("b" + i)).isCloseTo(expected, within(expected * 0.05));
      }
    }
  }

  @Test
  void powerOfTwoNeverPicksTheHeaviestWhileALighterOneCanTakeTheLease() {
    try (BackendPool pool = pool(seeded("power-of-two"), backends(4, 10))) {
      List<Lease> held = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        held.addAll(load(pool, "b" + i, i)); // loads 0, 1, 2 and 3 of 10
      }
      Map<String, Integer> counts = countPicks(pool, 10_000);
      assertThat(counts).doesNotContainKey("b3");
      // The idle one wins every pair it is in: half of all pairs of four.
      assertThat((double) counts.get("b0")).isCloseTo(5_000, within(300.0));
      held.forEach(Lease::close);
    }
  }

  @Test
  void powerOfTwoComparesLoadsRelativeToMaxJobs() {
    // b0: 2 of 4 (half), b1: 2 of 10 (a fifth): b1 is lighter although it runs as many.
    List<Backend> backends = List.of(backends(2, 4).get(0), backends(2, 10).get(1));
    try (BackendPool pool = pool(seeded("power-of-two"), backends)) {
      List<Lease> held = new ArrayList<>(load(pool, "b0", 2));
      held.addAll(load(pool, "b1", 2));
      assertThat(countPicks(pool, 100)).containsOnlyKeys("b1");
      held.forEach(Lease::close);
    }
  }

  @Test
  void powerOfTwoStillFindsTheOneFreeBackendAmongManyFull() {
    try (BackendPool pool = pool(seeded("power-of-two"), backends(64, 1))) {
      List<Lease> held = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        if (i != 37) {
          held.addAll(load(pool, "b" + i, 1));
        }
      }
      assertThat(take(pool)).isEqualTo("b37");
      held.forEach(Lease::close);
    }
  }

  @Test
  void weightedLeastRequestWithUnequalWeightsDividesWeightByLoad() {
    // b0 weight 1 idle: 1/1; b1 weight 4 with 3 leases out: 4/4. Equal effective weights.
    List<Backend> backends = List.of(backends(2, 10).get(0), backends(2, 10).get(1).withWeight(4));
    try (BackendPool pool = pool(seeded("weighted-least-request"), backends)) {
      List<Lease> held = load(pool, "b1", 3);
      Map<String, Integer> counts = countPicks(pool, 20_000);
      assertThat((double) counts.get("b0")).isCloseTo(10_000, within(500.0));
      held.forEach(Lease::close);
      // Idle again: 1 against 4.
      counts = countPicks(pool, 20_000);
      assertThat((double) counts.get("b1")).isCloseTo(16_000, within(500.0));
    }
  }

  @Test
  void weightedLeastRequestWithEqualWeightsIsPowerOfTwo() {
    try (BackendPool pool = pool(seeded("weighted-least-request"), backends(4, 10))) {
      List<Lease> held = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        held.addAll(load(pool, "b" + i, i));
      }
      assertThat(countPicks(pool, 5_000)).doesNotContainKey("b3");
      held.forEach(Lease::close);
    }
  }

  @Test
  void peakEwmaSendsMostLeasesToTheFastBackend() {
    List<Backend> backends = List.of(backends(2, 4).get(0), backends(2, 4).get(1));
    try (BackendPool pool = pool(seeded("peak-ewma"), backends)) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < 2_000; i++) {
        Lease lease = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
        // b0's leases take 50 ms, b1's 1 ms.
        ticker.advance(Duration.ofMillis(name(lease).equals("b0") ? 50 : 1));
        lease.recordSuccess();
        counts.merge(name(lease), 1, Integer::sum);
      }
      assertThat(counts.get("b1")).isGreaterThan(1_900);
      assertThat(estimate(pool, "b0")).isGreaterThan(estimate(pool, "b1"));
    }
  }

  @Test
  void peakEwmaEstimatesDecayWhileIdleAndASlowSampleReplacesThem() {
    try (BackendPool pool = pool(seeded("peak-ewma"), backends(1, 4))) {
      assertThat(estimate(pool, "b0")).isEqualTo(Duration.ofMillis(50)); // the seed
      Lease lease = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      ticker.advance(Duration.ofMillis(200));
      lease.close();
      assertThat(estimate(pool, "b0")).isEqualTo(Duration.ofMillis(200)); // the peak wins
      ticker.advance(Duration.ofSeconds(10)); // one decay time: down to 1/e
      assertThat((double) estimate(pool, "b0").toNanos()).isCloseTo(200e6 / Math.E, within(1e3));
    }
  }

  @Test
  void onlyPeakEwmaPaysForLatencyEstimates() {
    try (BackendPool pool = pool(seeded("power-of-two"), backends(1, 4))) {
      assertThat(pool.status().get(0).latencyEstimate()).isNull();
    }
  }

  private static Duration estimate(BackendPool pool, String name) {
    return pool.status().stream()
        .filter(status -> status.labels().get("name").equals(name))
        .findFirst()
        .orElseThrow()
        .latencyEstimate();
  }

  static List<String> builtIns() {
    return StrategySettings.NAMES;
  }

  @ParameterizedTest
  @MethodSource("builtIns")
  void everyBuiltInIsChosenByNameAndFillsThePool(String name) {
    BackendPool.Builder builder =
        BackendPool.builder().ticker(ticker).acquireTimeout(Duration.ZERO).strategy(name);
    backends(3, 2).forEach(builder::backend);
    try (BackendPool pool = builder.build()) {
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        leases.add(pool.tryAcquire(ARCH, Selector.any()).orElseThrow());
      }
      assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty();
      assertThat(pool.status()).extracting(BackendStatus::activeJobs).containsOnly(2);
      leases.forEach(Lease::close);
    }
  }

  @Test
  void anUnknownNameIsRefusedWithASuggestion() {
    assertThatThrownBy(() -> BackendPool.builder().strategy("round-robbin"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown strategy \"round-robbin\", did you mean round-robin?");
  }

  @Test
  void aCustomStrategyPicksThroughTheView() {
    LoadBalancer last = candidates -> candidates.size() - 1;
    try (BackendPool pool = pool(last, backends(3, 4))) {
      assertThat(take(pool)).isEqualTo("b2");
    }
  }

  @Test
  void aCustomStrategyThatPicksOutOfRangeIsReported() {
    LoadBalancer broken = candidates -> candidates.size();
    try (BackendPool pool = pool(broken, backends(3, 4))) {
      assertThatThrownBy(() -> pool.tryAcquire(ARCH, Selector.any()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("picked index 3 of 3 candidates");
    }
  }

  @Test
  void aCustomStrategyThatKeepsPickingAFullBackendDoesNotSpin() {
    LoadBalancer stubborn = candidates -> 0;
    try (BackendPool pool = pool(stubborn, backends(2, 1))) {
      Lease first = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      assertThat(pool.tryAcquire(ARCH, Selector.any())).isEmpty();
      first.close();
    }
  }

  @Test
  void peakEwmaStillTellsLoadApartAfterALongQuietSpell() {
    try (BackendPool pool = pool(seeded("peak-ewma"), backends(2, 10))) {
      ticker.advance(Duration.ofHours(1)); // both estimates decay far below a nanosecond
      List<Lease> held = load(pool, "b0", 3);
      assertThat(countPicks(pool, 100)).containsOnlyKeys("b1");
      held.forEach(Lease::close);
    }
  }

  @Test
  void weightedLeastRequestWithAHugeBiasStillPicks() {
    List<Backend> backends =
        List.of(backends(2, 100).get(0), backends(2, 100).get(1).withWeight(2));
    LoadBalancer strategy =
        Strategies.create(
            new StrategySettings("weighted-least-request", 200, Duration.ofSeconds(10)),
            new Random(42));
    try (BackendPool pool = pool(strategy, backends)) {
      List<Lease> held = new ArrayList<>(load(pool, "b0", 40));
      held.addAll(load(pool, "b1", 50));
      // (active + 1)^200 overflows: every effective weight is 0, and the pick goes by load.
      assertThat(countPicks(pool, 100)).containsOnlyKeys("b0");
      held.forEach(Lease::close);
    }
  }
}
