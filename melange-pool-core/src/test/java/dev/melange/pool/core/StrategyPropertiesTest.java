package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.breaker.ConsecutiveFailuresCircuitBreaker;
import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.spi.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Whatever the strategy, with or without an affinity key, through adds, removes, slow starts,
 * failures and recoveries: a lease goes only to a backend of the requested arch that matches the
 * selector, is below its (effective) limit and whose circuit admits it; to a backup only when no
 * primary could take it; and a lease is refused only when no backend could take it.
 */
class StrategyPropertiesTest {
  private static final List<String> ARCHS = List.of("x86_64", "aarch64");
  private static final List<Map<String, String>> LABELS =
      List.of(Map.of(), Map.of("tier", "high"), Map.of("tier", "low"), Map.of("gpu", "t4"));
  private static final List<Selector> SELECTORS =
      List.of(
          Selector.any(),
          Selector.parse("tier=high"),
          Selector.parse("tier!=high"),
          Selector.parse("!gpu"));
  private static final List<String> STRATEGIES = StrategySettings.NAMES;

  /** One step of a scenario; indexes are taken modulo what there is. */
  sealed interface Step permits Acquire, End, Advance, Add, Remove {}

  /** Acquire with an arch, a selector and, unless -1, the affinity key {@code k<key>}. */
  record Acquire(int arch, int selector, int key) implements Step {}

  /** End a held lease: 0 success, 1 failure, 2 close. */
  record End(int lease, int outcome) implements Step {}

  record Advance(Duration by) implements Step {}

  record Add(int arch, int labels, int maxJobs, int weight, boolean backup) implements Step {}

  record Remove(int backend) implements Step {}

  @Property(tries = 500)
  void noPickIsOfABackendThatCannotTakeTheLease(
      @ForAll("strategies") String strategy,
      @ForAll("fleets") List<Backend> fleet,
      @ForAll("steps") List<Step> steps,
      @ForAll long seed) {
    FakeTicker ticker = new FakeTicker();
    Map<String, CircuitBreaker> breakers = new HashMap<>();
    CircuitBreaker.Factory recording =
        new CircuitBreaker.Factory() {
          private final CircuitBreaker.Factory real =
              ConsecutiveFailuresCircuitBreaker.factory(2, Duration.ofSeconds(10));

          @Override
          public CircuitBreaker create(Backend backend, Ticker t) {
            return create(backend, t, CircuitBreaker.Listener.NONE);
          }

          @Override
          public CircuitBreaker create(
              Backend backend, Ticker t, CircuitBreaker.Listener listener) {
            CircuitBreaker breaker = real.create(backend, t, listener);
            breakers.put(backend.addr(), breaker);
            return breaker;
          }
        };
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .acquireTimeout(Duration.ZERO)
            .slowStart(Duration.ofSeconds(5))
            .circuitBreaker(recording)
            .strategy(Strategies.create(StrategySettings.of(strategy), new Random(seed)));
    fleet.forEach(builder::backend);
    int added = 0;
    List<Lease> held = new ArrayList<>();
    try (BackendPool pool = builder.build()) {
      for (Step step : steps) {
        if (step instanceof Acquire acquire) {
          check(pool, breakers, acquire, held);
        } else if (step instanceof End end && !held.isEmpty()) {
          Lease lease = held.remove(end.lease() % held.size());
          switch (end.outcome()) {
            case 0 -> lease.recordSuccess();
            case 1 -> lease.recordFailure(new Exception("failed"));
            default -> lease.close();
          }
        } else if (step instanceof Advance advance) {
          ticker.advance(advance.by());
        } else if (step instanceof Add add) {
          pool.add(
              new Backend(
                  "tcp://added" + added++ + ":1",
                  ARCHS.get(add.arch()),
                  add.maxJobs(),
                  LABELS.get(add.labels()),
                  add.weight(),
                  add.backup()));
        } else if (step instanceof Remove remove && pool.backends().size() > 1) {
          pool.remove(pool.backends().get(remove.backend() % pool.backends().size()).addr());
        }
      }
      held.forEach(Lease::close);
    }
  }

  private static void check(
      BackendPool pool, Map<String, CircuitBreaker> breakers, Acquire step, List<Lease> held) {
    String arch = ARCHS.get(step.arch());
    Selector selector = SELECTORS.get(step.selector());
    List<String> eligible = new ArrayList<>();
    boolean primaryEligible = false;
    for (BackendStatus status : pool.status()) {
      if (status.arch().equals(arch)
          && selector.matches(status.labels())
          && status.activeJobs() < status.effectiveMaxJobs()
          && breakers.get(status.addr()).isAdmitting()) {
        eligible.add(status.addr());
        primaryEligible |= !status.backup();
      }
    }
    AcquireOptions options =
        step.key() < 0
            ? AcquireOptions.defaults()
            : AcquireOptions.defaults().withAffinityKey("k" + step.key());
    Optional<Lease> lease = pool.tryAcquire(arch, selector, options);
    Statistics.label("outcome").collect(lease.isPresent() ? "leased" : "refused");
    if (lease.isEmpty()) {
      assertThat(eligible).as("refused although some could take it").isEmpty();
      return;
    }
    Backend chosen = lease.get().backend();
    held.add(lease.get());
    assertThat(eligible).as("chosen %s", chosen.addr()).contains(chosen.addr());
    if (chosen.backup()) {
      assertThat(primaryEligible).as("a backup chosen while a primary could take it").isFalse();
    }
  }

  @Provide
  Arbitrary<String> strategies() {
    return Arbitraries.of(STRATEGIES);
  }

  @Provide
  Arbitrary<List<Backend>> fleets() {
    Arbitrary<Backend> backend =
        Combinators.combine(
                Arbitraries.integers().between(0, ARCHS.size() - 1),
                Arbitraries.integers().between(0, LABELS.size() - 1),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 4),
                Arbitraries.of(false, false, false, true))
            .as(
                (arch, labels, maxJobs, weight, backup) ->
                    new Backend(
                        "tcp://b:1", ARCHS.get(arch), maxJobs, LABELS.get(labels), weight, backup));
    return backend
        .list()
        .ofMinSize(1)
        .ofMaxSize(8)
        .map(
            list -> {
              List<Backend> named = new ArrayList<>();
              for (int i = 0; i < list.size(); i++) {
                Backend b = list.get(i);
                named.add(
                    new Backend(
                        "tcp://b" + i + ":1",
                        b.arch(),
                        b.maxJobs(),
                        b.labels(),
                        b.weight(),
                        b.backup()));
              }
              return named;
            });
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Step> acquire =
        Combinators.combine(
                Arbitraries.integers().between(0, ARCHS.size() - 1),
                Arbitraries.integers().between(0, SELECTORS.size() - 1),
                Arbitraries.integers().between(-1, 5))
            .as(Acquire::new);
    Arbitrary<Step> end =
        Combinators.combine(
                Arbitraries.integers().between(0, 20), Arbitraries.integers().between(0, 2))
            .as(End::new);
    Arbitrary<Step> advance =
        Arbitraries.of(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10))
            .map(Advance::new);
    Arbitrary<Step> add =
        Combinators.combine(
                Arbitraries.integers().between(0, ARCHS.size() - 1),
                Arbitraries.integers().between(0, LABELS.size() - 1),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                Arbitraries.of(false, false, true))
            .as(Add::new);
    Arbitrary<Step> remove = Arbitraries.integers().between(0, 10).map(Remove::new);
    return Arbitraries.frequencyOf(
            Tuple.of(8, acquire),
            Tuple.of(4, end),
            Tuple.of(2, advance),
            Tuple.of(1, add),
            Tuple.of(1, remove))
        .list()
        .ofMinSize(10)
        .ofMaxSize(60);
  }
}
