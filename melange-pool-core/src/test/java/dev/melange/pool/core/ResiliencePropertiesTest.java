package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.AdaptiveLimit;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.Priority;
import dev.melange.pool.RateLimit;
import dev.melange.pool.ResilienceMode;
import dev.melange.pool.ResiliencePreset;
import dev.melange.pool.Selector;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.jspecify.annotations.Nullable;

/**
 * Whatever the policy (breaker, rate limit, adaptive limit, preset, mode) and whatever the sequence
 * of acquires, outcomes, waits and clock steps, a backend never has more leases out than its
 * configured {@code maxJobs}, its effective limit stays within [1, maxJobs], and every lease the
 * pool hands out is accounted for. Single-threaded, on a {@link FakeTicker}.
 */
class ResiliencePropertiesTest {
  private static final String ARCH = "x86_64";
  private static final List<String> ADDRS = List.of("tcp://a:1", "tcp://b:1", "tcp://c:1");
  private static final List<Priority> PRIORITIES = List.of(Priority.values());

  /** One backend's configuration. */
  record Policy(
      int maxJobs,
      @Nullable CircuitBreakerPolicy breaker,
      @Nullable RateLimit rateLimit,
      @Nullable AdaptiveLimit adaptiveLimit,
      @Nullable ResiliencePreset preset) {}

  /** One step: 0 acquire, 1 succeed, 2 fail, 3 close, 4 wait briefly, 5 advance the clock. */
  record Step(int kind, int index, Duration advance, int priority) {}

  @Provide
  Arbitrary<Policy> policies() {
    Arbitrary<CircuitBreakerPolicy> breakers =
        Arbitraries.oneOf(
            Arbitraries.integers()
                .between(1, 4)
                .map(n -> new CircuitBreakerPolicy.Consecutive(n, Duration.ofSeconds(2))),
            Arbitraries.integers()
                .between(1, 5)
                .map(
                    calls ->
                        new CircuitBreakerPolicy.FailureRate(
                            Duration.ofSeconds(10),
                            5,
                            50,
                            calls,
                            100,
                            Duration.ofSeconds(3),
                            calls,
                            Duration.ofSeconds(2),
                            2,
                            Duration.ofSeconds(8),
                            calls % 3)));
    Arbitrary<RateLimit> rates =
        Combinators.combine(
                Arbitraries.of(0.5, 2.0, 10.0),
                Arbitraries.integers().between(1, 4),
                Arbitraries.of(true, false))
            .as(RateLimit::new);
    Arbitrary<AdaptiveLimit> adaptive =
        Combinators.combine(
                Arbitraries.of(AdaptiveLimit.Algorithm.values()),
                Arbitraries.integers().between(1, 3),
                Arbitraries.of(Duration.ZERO, Duration.ofSeconds(1)))
            .as(AdaptiveLimit::new);
    return Combinators.combine(
            Arbitraries.integers().between(1, 5),
            breakers.injectNull(0.3),
            rates.injectNull(0.4),
            adaptive.injectNull(0.4),
            Arbitraries.of(ResiliencePreset.values()).injectNull(0.7))
        .as(Policy::new);
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    return Combinators.combine(
            Arbitraries.frequency(
                net.jqwik.api.Tuple.of(5, 0),
                net.jqwik.api.Tuple.of(3, 1),
                net.jqwik.api.Tuple.of(3, 2),
                net.jqwik.api.Tuple.of(1, 3),
                net.jqwik.api.Tuple.of(1, 4),
                net.jqwik.api.Tuple.of(2, 5)),
            Arbitraries.integers().between(0, 100),
            Arbitraries.of(Duration.ofMillis(1), Duration.ofMillis(300), Duration.ofSeconds(3)),
            Arbitraries.integers().between(0, 3))
        .as(Step::new)
        .list()
        .ofMaxSize(120);
  }

  @Property(tries = 150)
  void activeLeasesNeverExceedMaxJobs(
      @ForAll("policies") Policy a,
      @ForAll("policies") Policy b,
      @ForAll("policies") Policy c,
      @ForAll ResilienceMode mode,
      @ForAll("steps") List<Step> steps)
      throws IOException {
    FakeTicker ticker = new FakeTicker();
    List<Policy> policies = List.of(a, b, c);
    BackendPool.Builder builder = BackendPool.builder().ticker(ticker).resilience(mode);
    for (int i = 0; i < ADDRS.size(); i++) {
      Policy policy = policies.get(i);
      String addr = ADDRS.get(i);
      builder.backend(Backend.of(addr, ARCH).withMaxJobs(policy.maxJobs()));
      if (policy.breaker() != null) {
        builder.circuitBreaker(addr, policy.breaker());
      }
      if (policy.preset() != null) {
        builder.policy(addr, policy.preset());
      }
      builder.rateLimit(addr, policy.rateLimit());
      builder.adaptiveLimit(addr, policy.adaptiveLimit());
    }
    List<Lease> out = new ArrayList<>();
    List<CompletableFuture<Lease>> waiting = new ArrayList<>();
    int granted = 0;
    int ended = 0;
    try (BackendPool pool = builder.build()) {
      for (Step step : steps) {
        switch (step.kind()) {
          case 0 -> {
            Optional<Lease> lease = pool.tryAcquire(ARCH, Selector.any());
            if (lease.isPresent()) {
              out.add(lease.get());
              granted++;
            }
          }
          case 1, 2, 3 -> {
            if (!out.isEmpty()) {
              Lease lease = out.remove(step.index() % out.size());
              if (step.kind() == 1) {
                lease.recordSuccess();
              } else if (step.kind() == 2) {
                lease.recordFailure(new IOException("boom"));
              } else {
                lease.close();
              }
              ended++;
            }
          }
          case 4 ->
              waiting.add(
                  pool.acquireAsync(
                      ARCH,
                      Selector.any(),
                      AcquireOptions.defaults()
                          .withTimeout(Duration.ofMinutes(10))
                          .withPriority(PRIORITIES.get(step.priority()))));
          default -> ticker.advance(step.advance());
        }
        // Waiters served meanwhile hold leases too.
        for (var it = waiting.iterator(); it.hasNext(); ) {
          CompletableFuture<Lease> future = it.next();
          if (future.isDone() && !future.isCompletedExceptionally()) {
            out.add(future.join());
            granted++;
            it.remove();
          }
        }
        check(pool, policies, out.size());
      }
      waiting.forEach(future -> future.cancel(false));
    }
    assertThat(granted - ended).isEqualTo(out.size());
  }

  private static void check(BackendPool pool, List<Policy> policies, int leasesOut) {
    int active = 0;
    for (BackendStatus status : pool.status()) {
      int maxJobs = policies.get(ADDRS.indexOf(status.addr())).maxJobs();
      assertThat(status.activeJobs()).as("%s", status).isBetween(0, maxJobs);
      assertThat(status.effectiveMaxJobs()).as("%s", status).isBetween(1, maxJobs);
      active += status.activeJobs();
    }
    assertThat(active).isEqualTo(leasesOut);
  }
}
