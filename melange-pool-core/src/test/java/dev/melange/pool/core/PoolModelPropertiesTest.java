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
import dev.melange.pool.NoBackendAvailableException.Reason;
import dev.melange.pool.PoolException;
import dev.melange.pool.Selector;
import dev.melange.pool.core.PoolReferenceModel.Event;
import dev.melange.pool.core.PoolReferenceModel.Incarnation;
import dev.melange.pool.core.PoolReferenceModel.ModelLease;
import dev.melange.pool.core.PoolReferenceModel.Outcome;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsCollector;
import org.jspecify.annotations.Nullable;

/**
 * Random sequences of acquires, lease endings, topology changes and clock advances, run on the real
 * pool and on {@link PoolReferenceModel} side by side: after every step the pool must have chosen
 * what the model chose, and must report what the model holds. Single-threaded and deterministic:
 * the clock is a {@link FakeTicker}, and no acquire waits.
 *
 * <p>A scenario is a plain list of {@link Step}s rather than a jqwik action chain, because a list
 * shrinks well: a failure is reported as the few steps that cause it. Steps that pick a lease pick
 * it by an index taken modulo the leases there are, so every list, and every shorter list jqwik
 * tries while shrinking, is a valid scenario.
 */
class PoolModelPropertiesTest {
  private static final String X86 = "x86_64";
  private static final String ARM = "aarch64";
  private static final List<String> ARCHS = List.of(X86, ARM);
  private static final List<String> REQUESTED_ARCHS = List.of(X86, ARM, "riscv64");
  private static final List<String> ADDRS =
      List.of("tcp://b0:1234", "tcp://b1:1234", "tcp://b2:1234", "tcp://b3:1234", "tcp://b4:1234");
  private static final List<Map<String, String>> LABELS =
      List.of(
          Map.of(),
          Map.of("tier", "high"),
          Map.of("tier", "low"),
          Map.of("tier", "high", "gpu", "a100"),
          Map.of("gpu", "t4"));
  private static final List<Selector> SELECTORS =
      List.of(
          Selector.any(),
          Selector.parse("tier=high"),
          Selector.parse("tier!=high"),
          Selector.parse("gpu"),
          Selector.parse("!gpu,tier in (high,low)"));
  private static final Duration RECOVERY = Duration.ofSeconds(10);

  /** Steps of the fake clock: mostly ones that reach or just miss the recovery timeout. */
  private static final Arbitrary<Duration> ADVANCES =
      Arbitraries.frequency(
          Tuple.of(1, Duration.ofNanos(1)),
          Tuple.of(1, Duration.ofSeconds(1)),
          Tuple.of(2, Duration.ofSeconds(4)),
          Tuple.of(1, RECOVERY.minusNanos(1)),
          Tuple.of(3, RECOVERY),
          Tuple.of(2, Duration.ofSeconds(11)));

  // Edge cases would be empty and one-step scenarios: the generators name the edges worth trying.
  @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
  void poolAgreesWithReferenceModelAfterEveryStep(
      @ForAll("configs") Config config, @ForAll("scenarios") List<Step> steps) {
    Harness harness = new Harness(config);
    List<String> trace = new ArrayList<>();
    try {
      harness.checkAgreement();
      for (Step step : steps) {
        trace.add(step + " -> " + step.apply(harness));
        harness.checkAgreement();
      }
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "\nafter these steps:\n  " + String.join("\n  ", trace), e);
    } finally {
      harness.pool.close();
    }
    for (Event event : Event.values()) {
      StatisticsCollector reached = Statistics.label("paths reached: " + event.name());
      reached.collect(harness.model.seen().contains(event));
      // A property that never reaches a path proves nothing about it: fail if one goes missing.
      reached.coverage(coverage -> coverage.check(true).count(tries -> tries >= 3));
    }
  }

  /** A pool's initial settings. */
  record Config(
      List<Backend> backends,
      int defaultMaxJobs,
      int failureThreshold,
      Duration recoveryTimeout,
      long tickerStart) {}

  @Provide
  Arbitrary<Config> configs() {
    Arbitrary<List<Backend>> backends =
        Combinators.combine(
                Arbitraries.of(ARCHS), Arbitraries.integers().between(0, 3), Arbitraries.of(LABELS))
            .as(BackendShape::new)
            .list()
            .ofMinSize(2)
            .ofMaxSize(4)
            .map(
                shapes -> {
                  List<Backend> named = new ArrayList<>();
                  for (int i = 0; i < shapes.size(); i++) {
                    named.add(shapes.get(i).named(ADDRS.get(i)));
                  }
                  return named;
                });
    return Combinators.combine(
            backends,
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 3),
            Arbitraries.frequency(Tuple.of(4, RECOVERY), Tuple.of(1, Duration.ZERO)),
            // Start near the top of the range too: readings wrap, and only differences count.
            Arbitraries.of(0L, Long.MAX_VALUE - Duration.ofSeconds(25).toNanos(), -7_000_000_000L))
        .as(Config::new);
  }

  /** A backend but for its address. */
  record BackendShape(String arch, int maxJobs, Map<String, String> labels) {
    Backend named(String addr) {
      return new Backend(addr, arch, maxJobs, labels);
    }
  }

  @Provide
  Arbitrary<List<Step>> scenarios() {
    // Mostly requests that can succeed, so that backends fill up and circuits see outcomes.
    Arbitrary<String> requestedArch =
        Arbitraries.frequency(
            Tuple.of(5, REQUESTED_ARCHS.get(0)),
            Tuple.of(5, REQUESTED_ARCHS.get(1)),
            Tuple.of(1, REQUESTED_ARCHS.get(2)));
    Arbitrary<Selector> requestedSelector =
        Arbitraries.oneOf(
            Arbitraries.just(Selector.any()),
            Arbitraries.of(SELECTORS.subList(1, SELECTORS.size())));
    Arbitrary<Step> acquire =
        Combinators.combine(requestedArch, requestedSelector, Arbitraries.of(AcquireMethod.class))
            .as(Acquire::new);
    Arbitrary<Integer> choice = Arbitraries.integers().between(0, 15);
    // Failures more often than not, so circuits open, recover and open again within 50 steps.
    Arbitrary<Outcome> outcome =
        Arbitraries.frequency(
            Tuple.of(2, Outcome.SUCCESS),
            Tuple.of(3, Outcome.FAILURE),
            Tuple.of(2, Outcome.NO_OUTCOME));
    Arbitrary<Step> end = Combinators.combine(choice, outcome).as(End::new);
    Arbitrary<Step> endAgain =
        Combinators.combine(choice, Arbitraries.of(Outcome.class)).as(EndAgain::new);
    Arbitrary<Step> add =
        Combinators.combine(
                Arbitraries.of(ADDRS),
                Arbitraries.of(ARCHS),
                Arbitraries.integers().between(0, 3),
                Arbitraries.of(LABELS))
            .as((addr, arch, maxJobs, labels) -> new Add(new Backend(addr, arch, maxJobs, labels)));
    Arbitrary<Step> remove = Arbitraries.of(ADDRS).map(Remove::new);
    Arbitrary<Step> advance = ADVANCES.map(Advance::new);
    return Arbitraries.frequencyOf(
            Tuple.of(6, acquire),
            Tuple.of(5, end),
            Tuple.of(1, endAgain),
            Tuple.of(1, add),
            Tuple.of(1, remove),
            Tuple.of(4, advance))
        .list()
        .ofMaxSize(50)
        // jqwik favours short lists; circuits need many steps to open, recover and open again.
        .withSizeDistribution(RandomDistribution.uniform());
  }

  /** How a step asks for a lease; none of them waits. */
  enum AcquireMethod {
    TRY,
    BLOCKING_ZERO_TIMEOUT,
    ASYNC_ZERO_TIMEOUT
  }

  /** One step of a scenario, done to the pool and to the model alike. */
  sealed interface Step permits Acquire, End, EndAgain, Add, Remove, Advance {
    /** Runs the step on both sides, checking what it returns; says what happened, for the trace. */
    String apply(Harness harness);
  }

  record Acquire(String arch, Selector selector, AcquireMethod method) implements Step {
    @Override
    public String apply(Harness harness) {
      return harness.acquire(arch, selector, method);
    }

    @Override
    public String toString() {
      return method + "(" + arch + ", \"" + selector + "\")";
    }
  }

  /** Ends one of the leases out, chosen by {@code choice} modulo their number. */
  record End(int choice, Outcome outcome) implements Step {
    @Override
    public String apply(Harness harness) {
      return harness.end(choice, outcome);
    }
  }

  /** Ends again a lease that has ended: must change nothing. */
  record EndAgain(int choice, Outcome outcome) implements Step {
    @Override
    public String apply(Harness harness) {
      return harness.endAgain(choice, outcome);
    }
  }

  /** Adds a backend: a new one, one removed before (a new incarnation), or a duplicate. */
  record Add(Backend backend) implements Step {
    @Override
    public String apply(Harness harness) {
      return harness.add(backend);
    }
  }

  /** Removes a backend: one in the pool, an unknown one, or the last one. */
  record Remove(String addr) implements Step {
    @Override
    public String apply(Harness harness) {
      return harness.remove(addr);
    }
  }

  record Advance(Duration duration) implements Step {
    @Override
    public String apply(Harness harness) {
      harness.ticker.advance(duration);
      return "now " + harness.ticker.read();
    }
  }

  /** A lease as both sides see it. */
  record Held(int id, Lease lease, ModelLease model) {
    @Override
    public String toString() {
      return "lease#" + id + " on " + lease.backend().addr();
    }
  }

  /** The pool under test and the model, driven in lockstep. */
  static final class Harness {
    final FakeTicker ticker;
    final BackendPool pool;
    final PoolReferenceModel model;
    private final List<Held> open = new ArrayList<>();
    private final List<Held> ended = new ArrayList<>();
    private int nextLeaseId;

    Harness(Config config) {
      ticker = new FakeTicker(config.tickerStart());
      BackendPool.Builder builder =
          BackendPool.builder()
              .defaultMaxJobs(config.defaultMaxJobs())
              .failureThreshold(config.failureThreshold())
              .recoveryTimeout(config.recoveryTimeout())
              .acquireTimeout(Duration.ZERO)
              .ticker(ticker);
      config.backends().forEach(builder::backend);
      pool = builder.build();
      model =
          new PoolReferenceModel(
              config.defaultMaxJobs(),
              config.failureThreshold(),
              config.recoveryTimeout().toNanos());
      config.backends().forEach(model::add);
    }

    String acquire(String arch, Selector selector, AcquireMethod method) {
      Incarnation expected = model.choose(arch, selector, ticker.read());
      @Nullable Lease granted = null;
      @Nullable Reason refusal = null;
      try {
        granted = acquireOrThrow(arch, selector, method);
      } catch (NoBackendAvailableException e) {
        refusal = e.reason();
      }
      if (expected == null) {
        assertThat(granted)
            .as("the model grants nothing (model: %s), the pool granted", model.current())
            .isNull();
        if (method != AcquireMethod.TRY) {
          assertThat(refusal).as("why nothing").isEqualTo(model.refusal(arch, selector));
        }
        return "nothing (" + refusal + ")";
      }
      if (granted == null) {
        throw new AssertionError(
            "the model grants on "
                + expected
                + ", the pool refused ("
                + refusal
                + "); model: "
                + model.current());
      }
      assertThat(granted.backend())
          .as("the model grants on %s (model: %s), the pool on", expected, model.current())
          .isEqualTo(expected.backend);
      Held held = new Held(nextLeaseId++, granted, model.grant(expected));
      open.add(held);
      return held.toString();
    }

    private Lease acquireOrThrow(String arch, Selector selector, AcquireMethod method) {
      return switch (method) {
        case TRY ->
            pool.tryAcquire(arch, selector)
                .orElseThrow(() -> new NoBackendAvailableException(Reason.NO_CAPACITY, "empty"));
        case BLOCKING_ZERO_TIMEOUT -> {
          try {
            yield pool.acquire(arch, selector, Duration.ZERO);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("a zero-timeout acquire waited", e);
          }
        }
        case ASYNC_ZERO_TIMEOUT -> {
          CompletableFuture<Lease> future = pool.acquireAsync(arch, selector, Duration.ZERO);
          assertThat(future).as("a zero-timeout acquireAsync completes at once").isDone();
          try {
            yield future.join();
          } catch (CompletionException e) {
            if (e.getCause() instanceof NoBackendAvailableException cause) {
              throw cause;
            }
            throw e;
          }
        }
      };
    }

    String end(int choice, Outcome outcome) {
      if (open.isEmpty()) {
        return "no lease out";
      }
      Held held = open.remove(choice % open.size());
      endLease(held.lease(), outcome);
      model.end(held.model(), outcome, ticker.read());
      ended.add(held);
      return held + " ended";
    }

    String endAgain(int choice, Outcome outcome) {
      if (ended.isEmpty()) {
        return "no lease ended yet";
      }
      Held held = ended.get(choice % ended.size());
      endLease(held.lease(), outcome);
      model.end(held.model(), outcome, ticker.read()); // a no-op, as it must be on the pool
      return held + " ended again";
    }

    private static void endLease(Lease lease, Outcome outcome) {
      switch (outcome) {
        case SUCCESS -> lease.recordSuccess();
        case FAILURE -> lease.recordFailure(new IOException("simulated build failure"));
        case NO_OUTCOME -> lease.close();
      }
    }

    String add(Backend backend) {
      if (model.find(backend.addr()) != null) {
        assertThatThrownBy(() -> pool.add(backend))
            .isInstanceOf(DuplicateBackendException.class)
            .hasMessageContaining(backend.addr());
        return "refused as a duplicate";
      }
      pool.add(backend);
      model.add(backend);
      return "added";
    }

    String remove(String addr) {
      Incarnation incarnation = model.find(addr);
      if (incarnation == null) {
        assertThatThrownBy(() -> pool.remove(addr))
            .isInstanceOfSatisfying(
                BackendNotFoundException.class, e -> assertThat(e.addr()).isEqualTo(addr))
            .hasMessage("backend not found: " + addr);
        return "refused as unknown";
      }
      if (model.current().size() == 1) {
        assertThatThrownBy(() -> pool.remove(addr))
            .isExactlyInstanceOf(PoolException.class)
            .hasMessage("cannot remove the last backend");
        return "refused as the last one";
      }
      pool.remove(addr);
      model.remove(incarnation);
      return "removed with " + incarnation.active + " leases out";
    }

    void checkAgreement() {
      assertThat(pool.backends()).as("backends()").isEqualTo(model.backends());
      assertThat(pool.architectures()).as("architectures()").isEqualTo(model.architectures());
      for (String arch : REQUESTED_ARCHS) {
        assertThat(pool.backends(arch)).as("backends(%s)", arch).isEqualTo(model.backends(arch));
      }
      assertThat(pool.totalCapacity()).as("totalCapacity()").isEqualTo(model.totalCapacity());
      List<BackendStatus> statuses = pool.status();
      List<Incarnation> expected = model.current();
      assertThat(statuses).as("status() size").hasSameSizeAs(expected);
      for (int i = 0; i < statuses.size(); i++) {
        BackendStatus status = statuses.get(i);
        Incarnation incarnation = expected.get(i);
        Backend backend = incarnation.backend;
        String what = "status of " + incarnation;
        assertThat(status.addr()).as(what + ": addr").isEqualTo(backend.addr());
        assertThat(status.arch()).as(what + ": arch").isEqualTo(backend.arch());
        assertThat(status.labels()).as(what + ": labels").isEqualTo(backend.labels());
        assertThat(status.maxJobs()).as(what + ": maxJobs").isEqualTo(incarnation.maxJobs);
        assertThat(status.activeJobs()).as(what + ": activeJobs").isEqualTo(incarnation.active);
        assertThat(status.failures()).as(what + ": failures").isEqualTo(incarnation.failures);
        assertThat(status.circuitOpen()).as(what + ": circuitOpen").isEqualTo(incarnation.open);
        assertThat(status.lastFailure() != null)
            .as(what + ": lastFailure present")
            .isEqualTo(incarnation.hasFailed);
      }
    }

    @Override
    public String toString() {
      return "Harness" + model.current();
    }
  }
}
