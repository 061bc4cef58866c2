package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.failsafe.CircuitBreakerBuilder;
import dev.failsafe.CircuitBreakerConfig;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CallStats;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.core.breaker.FailsafeCircuitBreaker;
import dev.melange.pool.failsafe.FailsafeCircuitBreakers;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker.State;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The {@code failsafe} breaker through the pool: Failsafe's breakers, supplied through {@link
 * FailsafeCircuitBreakers}, decide which leases a backend gets. Failsafe's clock cannot be
 * injected, so open circuits here wait short real delays, and the tests wait for them generously.
 */
class FailsafeCircuitBreakerTest {
  private static final String ARCH = "x86_64";
  private static final String A = "tcp://a:1";
  private static final String B = "tcp://b:1";

  /** Short enough to wait for, in tests that need the circuit to half-open. */
  private static final Duration SHORT = Duration.ofMillis(30);

  /** Long enough that no test sees it pass, in tests that need the circuit to stay open. */
  private static final Duration LONG = Duration.ofMinutes(10);

  private final BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();

  /** The Failsafe breaker each backend got, by address. */
  private final Map<String, dev.failsafe.CircuitBreaker<?>> made = new ConcurrentHashMap<>();

  /**
   * A pool of backends {@code a} and {@code b}, each guarded by a breaker {@code builder} makes.
   */
  private BackendPool pool(Supplier<CircuitBreakerBuilder<Object>> builder) {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of(A, ARCH).withMaxJobs(4))
            .backend(Backend.of(B, ARCH).withMaxJobs(4).withBackup(true))
            .acquireTimeout(Duration.ZERO)
            .circuitBreaker(
                FailsafeCircuitBreakers.factory(
                    backend -> {
                      dev.failsafe.CircuitBreaker<Object> breaker = builder.get().build();
                      made.put(backend.addr(), breaker);
                      return breaker;
                    }))
            .build();
    pool.subscribe(heard::add);
    return pool;
  }

  private static Lease lease(BackendPool pool) {
    return pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
  }

  /** A lease on {@code a}, the primary; fails the test if {@code a} refuses. */
  private static Lease onA(BackendPool pool) {
    Lease lease = lease(pool);
    assertThat(lease.backend().addr()).as("a lease on the primary").isEqualTo(A);
    return lease;
  }

  /** Waits for {@code a}'s open circuit to let a trial through, and returns the trial. */
  private static Lease trialOnA(BackendPool pool) {
    AtomicReference<Lease> trial = new AtomicReference<>();
    Eventually.until(
        "a trial lease on " + A,
        () -> {
          Lease lease = lease(pool);
          if (lease.backend().addr().equals(A)) {
            trial.set(lease);
            return true;
          }
          lease.close(); // the backup's
          return false;
        },
        pool::status);
    return trial.get();
  }

  private static State circuitOf(BackendPool pool, String addr) {
    return PoolStatus.of(pool, addr).circuitState();
  }

  /** The next {@code count} circuit events, as "CircuitOpened tcp://a:1"; others are skipped. */
  private List<String> circuitEvents(int count) throws InterruptedException {
    List<String> events = new ArrayList<>();
    while (events.size() < count) {
      PoolEvent event = heard.poll(10, TimeUnit.SECONDS);
      assertThat(event)
          .as("circuit event %d of %d (got %s)", events.size() + 1, count, events)
          .isNotNull();
      if (event instanceof PoolEvent.CircuitOpened e) {
        events.add("CircuitOpened " + e.addr());
      } else if (event instanceof PoolEvent.CircuitHalfOpened e) {
        events.add("CircuitHalfOpened " + e.addr());
      } else if (event instanceof PoolEvent.CircuitClosed e) {
        events.add("CircuitClosed " + e.addr());
      }
    }
    return events;
  }

  /** The circuit events heard so far, once the pool's event thread has caught up. */
  private List<String> circuitEventsSoFar(BackendPool pool) throws InterruptedException {
    // An event of our own making, told after everything before it: the queue holds the rest.
    pool.cordon(B);
    List<String> events = new ArrayList<>();
    while (true) {
      PoolEvent event = heard.poll(10, TimeUnit.SECONDS);
      assertThat(event).as("the cordon's event, after %s", events).isNotNull();
      if (event instanceof PoolEvent.AdminStateChanged) {
        pool.uncordon(B);
        return events;
      }
      if (event instanceof PoolEvent.CircuitOpened
          || event instanceof PoolEvent.CircuitHalfOpened
          || event instanceof PoolEvent.CircuitClosed) {
        events.add(event.getClass().getSimpleName());
      }
    }
  }

  @Test
  void opensAtTheThresholdAndRefusesWhileOpen() throws Exception {
    try (BackendPool pool =
        pool(() -> dev.failsafe.CircuitBreaker.builder().withFailureThreshold(2).withDelay(LONG))) {
      onA(pool).recordFailure(new IOException("one"));
      assertThat(circuitOf(pool, A)).as("1 failure of 2").isEqualTo(State.CLOSED);
      assertThat(PoolStatus.of(pool, A).failures()).isEqualTo(1);

      onA(pool).recordFailure(new IOException("two"));
      assertThat(circuitEvents(1)).containsExactly("CircuitOpened " + A);
      assertThat(circuitOf(pool, A)).isEqualTo(State.OPEN);
      assertThat(PoolStatus.of(pool, A).circuitOpen()).isTrue();
      assertThat(PoolStatus.of(pool, A).lastFailure()).isNotNull();
      assertThat(made.get(A).isOpen()).as("the pool's state is Failsafe's").isTrue();
      for (int i = 0; i < 3; i++) {
        assertThat(lease(pool).backend().addr()).as("the backup, while a is open").isEqualTo(B);
      }
      assertThat(circuitOf(pool, B)).isEqualTo(State.CLOSED);
    }
  }

  @Test
  void statusShowsFailsafesCountsOfItsWindow() throws Exception {
    try (BackendPool pool =
        pool(
            () ->
                dev.failsafe.CircuitBreaker.builder().withFailureThreshold(3, 5).withDelay(LONG))) {
      onA(pool).recordSuccess();
      onA(pool).recordFailure(new IOException("one"));
      onA(pool).recordSuccess();
      CallStats calls = PoolStatus.of(pool, A).calls();
      assertThat(calls).isNotNull();
      assertThat(calls.window()).as("a window of calls, not of time").isNull();
      assertThat(calls.calls()).isEqualTo(3);
      assertThat(calls.failures()).isEqualTo(1);
      assertThat(calls.failureRate()).isCloseTo(100.0 / 3, within(1e-9));
      assertThat(calls.slowCalls()).isZero();
    }
    try (BackendPool pool =
        pool(
            () ->
                dev.failsafe.CircuitBreaker.builder()
                    .withFailureThreshold(3, 5, Duration.ofMinutes(1))
                    .withDelay(LONG))) {
      onA(pool).recordFailure(new IOException("one"));
      assertThat(PoolStatus.of(pool, A).calls().window()).isEqualTo(Duration.ofMinutes(1));
    }
  }

  @Test
  void aSuccessfulTrialClosesTheCircuit() throws Exception {
    try (BackendPool pool =
        pool(
            () -> dev.failsafe.CircuitBreaker.builder().withFailureThreshold(1).withDelay(SHORT))) {
      onA(pool).recordFailure(new IOException("down"));
      Lease trial = trialOnA(pool);
      assertThat(circuitEvents(2)).containsExactly("CircuitOpened " + A, "CircuitHalfOpened " + A);
      assertThat(circuitOf(pool, A)).isEqualTo(State.HALF_OPEN);
      assertThat(lease(pool).backend().addr())
          .as("Failsafe's default admits one trial at a time")
          .isEqualTo(B);

      trial.recordSuccess();
      assertThat(circuitEvents(1)).containsExactly("CircuitClosed " + A);
      assertThat(circuitOf(pool, A)).isEqualTo(State.CLOSED);
      assertThat(made.get(A).isClosed()).isTrue();
      onA(pool).close();
    }
  }

  @Test
  void aFailedTrialOpensTheCircuitAgain() throws Exception {
    try (BackendPool pool =
        pool(
            () -> dev.failsafe.CircuitBreaker.builder().withFailureThreshold(1).withDelay(SHORT))) {
      onA(pool).recordFailure(new IOException("down"));
      trialOnA(pool).recordFailure(new IOException("still down"));
      assertThat(circuitEvents(3))
          .containsExactly("CircuitOpened " + A, "CircuitHalfOpened " + A, "CircuitOpened " + A);
      assertThat(made.get(A).isOpen()).isTrue();

      trialOnA(pool).recordSuccess();
      assertThat(circuitEvents(2)).containsExactly("CircuitHalfOpened " + A, "CircuitClosed " + A);
    }
  }

  @Test
  void aLeaseClosedWithNoOutcomeWhileClosedRecordsNothing() throws Exception {
    // One failure would open it: a no-outcome that counted as one would show.
    try (BackendPool pool =
        pool(() -> dev.failsafe.CircuitBreaker.builder().withFailureThreshold(1).withDelay(LONG))) {
      for (int i = 0; i < 5; i++) {
        onA(pool).close();
      }

      assertThat(circuitOf(pool, A)).isEqualTo(State.CLOSED);
      assertThat(made.get(A).getFailureCount()).isZero();
      assertThat(made.get(A).getSuccessCount()).isZero();
      assertThat(circuitEventsSoFar(pool)).isEmpty();
    }
  }

  @Test
  void aTrialClosedWithNoOutcomeCountsAsAFailedTrial() throws Exception {
    try (BackendPool pool =
        pool(
            () -> dev.failsafe.CircuitBreaker.builder().withFailureThreshold(1).withDelay(SHORT))) {
      onA(pool).recordFailure(new IOException("down"));
      trialOnA(pool).close();
      // Failsafe keeps a trial's place until an outcome is recorded: without one the circuit
      // would stay half-open, refusing everything, for good.
      assertThat(circuitEvents(3))
          .containsExactly("CircuitOpened " + A, "CircuitHalfOpened " + A, "CircuitOpened " + A);

      trialOnA(pool).recordSuccess();
      assertThat(circuitEvents(2)).containsExactly("CircuitHalfOpened " + A, "CircuitClosed " + A);
      assertThat(circuitOf(pool, A)).isEqualTo(State.CLOSED);
    }
  }

  @Test
  void aTrialClosedWithNoOutcomeAfterItsHalfOpenSpellEndedRecordsNothing() throws Exception {
    // Two trials at a time, one success closes; then one failure would open it again.
    try (BackendPool pool =
        pool(
            () ->
                dev.failsafe.CircuitBreaker.builder()
                    .withFailureThreshold(1)
                    .withSuccessThreshold(1, 2)
                    .withDelay(SHORT))) {
      onA(pool).recordFailure(new IOException("down"));
      Lease first = trialOnA(pool);
      Lease second = onA(pool);
      first.recordSuccess();
      assertThat(circuitEvents(3))
          .containsExactly("CircuitOpened " + A, "CircuitHalfOpened " + A, "CircuitClosed " + A);

      second.close();
      assertThat(circuitOf(pool, A)).isEqualTo(State.CLOSED);
      assertThat(made.get(A).getFailureCount()).isZero();
      assertThat(circuitEventsSoFar(pool)).isEmpty();
    }
  }

  @Test
  void whileEveryTrialIsOutTheBackendIsPassedOverAndAnOutcomeFreesAPlace() throws Exception {
    // Three trials at a time; two successes close it.
    try (BackendPool pool =
        pool(
            () ->
                dev.failsafe.CircuitBreaker.builder()
                    .withFailureThreshold(1)
                    .withSuccessThreshold(2, 3)
                    .withDelay(SHORT))) {
      onA(pool).recordFailure(new IOException("down"));
      List<Lease> trials = new ArrayList<>(List.of(trialOnA(pool), onA(pool), onA(pool)));
      for (int i = 0; i < 3; i++) {
        assertThat(lease(pool).backend().addr()).as("a's trials are all out").isEqualTo(B);
      }
      trials.remove(0).recordSuccess(); // one of two: still half-open, and a place is free
      assertThat(circuitOf(pool, A)).isEqualTo(State.HALF_OPEN);
      trials.add(onA(pool));
      assertThat(lease(pool).backend().addr()).isEqualTo(B);

      trials.remove(0).recordSuccess();
      assertThat(circuitOf(pool, A)).isEqualTo(State.CLOSED);
      trials.forEach(Lease::close);
      assertThat(circuitEvents(3))
          .containsExactly("CircuitOpened " + A, "CircuitHalfOpened " + A, "CircuitClosed " + A);
    }
  }

  @Test
  void theBreakersHandleConditionsJudgeEachFailure() throws Exception {
    try (BackendPool pool =
        pool(
            () ->
                dev.failsafe.CircuitBreaker.builder()
                    .handle(IOException.class)
                    .withFailureThreshold(1)
                    .withDelay(LONG))) {
      onA(pool).recordFailure(new IllegalStateException("the job's fault, not the backend's"));
      assertThat(circuitOf(pool, A)).isEqualTo(State.CLOSED);
      assertThat(made.get(A).getSuccessCount()).as("Failsafe counts it a success").isEqualTo(1);

      onA(pool).recordFailure(new IOException("the backend's"));
      assertThat(circuitOf(pool, A)).isEqualTo(State.OPEN);
      assertThat(circuitEvents(1)).containsExactly("CircuitOpened " + A);
    }
  }

  @Test
  void eachBackendGetsABreakerOfItsOwn() throws Exception {
    try (BackendPool pool =
        pool(() -> dev.failsafe.CircuitBreaker.builder().withFailureThreshold(1).withDelay(LONG))) {
      onA(pool).recordFailure(new IOException("down"));
      assertThat(made.keySet()).containsExactlyInAnyOrder(A, B);
      assertThat(made.get(A)).isNotSameAs(made.get(B));
      assertThat(made.get(B).isClosed()).isTrue();
      assertThat(circuitOf(pool, B)).isEqualTo(State.CLOSED);
      assertThat(circuitEvents(1)).containsExactly("CircuitOpened " + A);
    }
  }

  /** The adapter over {@code failsafe} alone, its state changes told to {@code told}. */
  private static CircuitBreaker adapter(
      dev.failsafe.CircuitBreaker<Object> failsafe, List<String> told) {
    return FailsafeCircuitBreakers.factory(backend -> failsafe)
        .create(Backend.of(A, ARCH), new FakeTicker(), (from, to) -> told.add(from + "->" + to));
  }

  @Test
  void eachChangeIsToldOnceAsItIsSeen() {
    List<String> told = new ArrayList<>();
    dev.failsafe.CircuitBreaker<Object> failsafe =
        dev.failsafe.CircuitBreaker.builder().withFailureThreshold(2).withDelay(LONG).build();
    CircuitBreaker breaker = adapter(failsafe, told);

    breaker.onFailure(breaker.tryAcquirePermit(), new IOException("one"));
    assertThat(told).isEmpty();
    breaker.onFailure(breaker.tryAcquirePermit(), new IOException("two"));
    assertThat(breaker.tryAcquirePermit()).isEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.isAdmitting()).isFalse();
    assertThat(told).containsExactly("CLOSED->OPEN");

    failsafe.halfOpen(); // as if the delay had passed
    long trial = breaker.tryAcquirePermit();
    breaker.onSuccess(trial);
    breaker.onSuccess(breaker.tryAcquirePermit());
    assertThat(told).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
  }

  @Test
  void aHalfOpenCircuitWithEveryTrialOutDoesNotAdmitUntilAnOutcomeFreesOne() {
    dev.failsafe.CircuitBreaker<Object> failsafe =
        dev.failsafe.CircuitBreaker.builder()
            .withFailureThreshold(1)
            .withSuccessThreshold(2, 2)
            .withDelay(LONG)
            .build();
    CircuitBreaker breaker = adapter(failsafe, new ArrayList<>());
    breaker.onFailure(breaker.tryAcquirePermit(), new IOException("down"));
    failsafe.halfOpen();

    assertThat(breaker.isAdmitting()).isTrue();
    long first = breaker.tryAcquirePermit();
    long second = breaker.tryAcquirePermit();
    assertThat(first).isNotEqualTo(CircuitBreaker.REFUSED);
    assertThat(second).isNotEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.isAdmitting()).as("Failsafe does not say; a scan may try once").isTrue();
    assertThat(breaker.tryAcquirePermit()).isEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.isAdmitting()).as("every trial is out").isFalse();
    assertThat(breaker.snapshot().state()).isEqualTo(State.HALF_OPEN);

    breaker.onSuccess(first); // one of two: still half-open, and Failsafe frees its place
    assertThat(breaker.snapshot().state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.isAdmitting()).isTrue();
    assertThat(breaker.tryAcquirePermit()).isNotEqualTo(CircuitBreaker.REFUSED);
  }

  @Test
  void aBreakerAlreadyOpenWhenSuppliedReportsOpen() {
    CircuitBreaker.Factory factory =
        FailsafeCircuitBreakers.factory(
            backend -> {
              dev.failsafe.CircuitBreaker<Object> breaker =
                  dev.failsafe.CircuitBreaker.builder().withDelay(LONG).build();
              breaker.open();
              return breaker;
            });
    CircuitBreaker breaker =
        factory.create(Backend.of(A, ARCH), new FakeTicker(), CircuitBreaker.Listener.NONE);

    assertThat(breaker.isAdmitting()).isFalse();
    assertThat(breaker.tryAcquirePermit()).isEqualTo(CircuitBreaker.REFUSED);
    assertThat(breaker.snapshot().state()).isEqualTo(State.OPEN);
    assertThat(breaker.snapshot().nanosUntilRetry()).isPositive();
  }

  /** Failsafe's settings in a config, to compare one with another. */
  private static List<Object> settings(CircuitBreakerConfig<?> config) {
    return List.of(
        config.getFailureThreshold(),
        config.getFailureThresholdingCapacity(),
        config.getFailureRateThreshold(),
        config.getFailureExecutionThreshold(),
        String.valueOf(config.getFailureThresholdingPeriod()),
        config.getSuccessThreshold(),
        config.getSuccessThresholdingCapacity(),
        config.getDelay());
  }

  private static List<Object> settings(CircuitBreakerPolicy.Failsafe policy) {
    return settings(FailsafeCircuitBreaker.build(policy).getConfig());
  }

  @Test
  void thePolicysDefaultsAreFailsafes() {
    assertThat(settings(CircuitBreakerPolicy.Failsafe.defaults()))
        .isEqualTo(settings(dev.failsafe.CircuitBreaker.ofDefaults().getConfig()));
  }

  @Test
  void thePolicysSettingsReachFailsafeAsItsBuilderWouldSetThem() {
    CircuitBreakerPolicy.Failsafe defaults = CircuitBreakerPolicy.Failsafe.defaults();
    assertThat(
            settings(
                defaults
                    .withFailureThreshold(3, 5)
                    .withSuccessThreshold(2, 3)
                    .withDelay(Duration.ofSeconds(10))))
        .isEqualTo(
            settings(
                dev.failsafe.CircuitBreaker.builder()
                    .withFailureThreshold(3, 5)
                    .withSuccessThreshold(2, 3)
                    .withDelay(Duration.ofSeconds(10))
                    .build()
                    .getConfig()));
    assertThat(settings(defaults.withFailureThreshold(3, 10, Duration.ofSeconds(30))))
        .isEqualTo(
            settings(
                dev.failsafe.CircuitBreaker.builder()
                    .withFailureThreshold(3, 10, Duration.ofSeconds(30))
                    .build()
                    .getConfig()));
    assertThat(defaults.withFailureThreshold(3, 10, Duration.ofSeconds(30)))
        .isEqualTo(
            new CircuitBreakerPolicy.Failsafe(
                3, 10, Duration.ofSeconds(30), 0, 0, Duration.ofMinutes(1)));
  }

  @Test
  void thePolicyNamesABadSettingAndItsValue() {
    CircuitBreakerPolicy.Failsafe defaults = CircuitBreakerPolicy.Failsafe.defaults();
    assertThatThrownBy(() -> defaults.withFailureThreshold(0, 1))
        .hasMessage("failureThreshold must be from 1 to 1000, was 0");
    assertThatThrownBy(() -> defaults.withFailureThreshold(3, 2))
        .hasMessage("failureThresholdingCapacity must be from failureThreshold (3) to 1000, was 2");
    assertThatThrownBy(() -> defaults.withFailureThreshold(1, 1001))
        .hasMessage(
            "failureThresholdingCapacity must be from failureThreshold (1) to 1000, was 1001");
    assertThatThrownBy(() -> defaults.withFailureThreshold(1, 1, Duration.ofMillis(5)))
        .hasMessage(
            "failureThresholdingPeriod must be 0 (count the last leases) or >= PT0.01S, was"
                + " PT0.005S");
    assertThatThrownBy(() -> defaults.withSuccessThreshold(2, 1))
        .hasMessage("successThresholdingCapacity must be from successThreshold (2) to 1000, was 1");
    assertThatThrownBy(() -> defaults.withSuccessThreshold(0, 3))
        .hasMessage("successThresholdingCapacity must be 0 without a successThreshold, was 3");
    assertThatThrownBy(() -> defaults.withSuccessThreshold(-1, 0))
        .hasMessage("successThreshold must be from 0 to 1000, was -1");
    assertThatThrownBy(() -> defaults.withDelay(Duration.ofSeconds(-1)))
        .hasMessage("delay must be >= 0, was PT-1S");
    assertThat(defaults.withDelay(Duration.ZERO).delay()).isZero();
  }

  @Test
  void aPoolBuiltWithThePolicyOpensAndClosesByFailsafesRules() throws Exception {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of(A, ARCH).withMaxJobs(4))
            .backend(Backend.of(B, ARCH).withMaxJobs(4).withBackup(true))
            .acquireTimeout(Duration.ZERO)
            .circuitBreaker(
                CircuitBreakerPolicy.Failsafe.defaults()
                    .withFailureThreshold(2, 3)
                    .withSuccessThreshold(1, 1)
                    .withDelay(SHORT))
            .build()) {
      pool.subscribe(heard::add);
      onA(pool).recordFailure(new IOException("one"));
      onA(pool).recordSuccess();
      assertThat(circuitOf(pool, A)).as("1 failure of the last 2").isEqualTo(State.CLOSED);
      onA(pool).recordFailure(new IOException("two"));
      assertThat(circuitEvents(1)).as("2 of the last 3").containsExactly("CircuitOpened " + A);

      trialOnA(pool).close(); // no outcome: a failed trial
      trialOnA(pool).recordSuccess();
      assertThat(circuitEvents(4))
          .containsExactly(
              "CircuitHalfOpened " + A,
              "CircuitOpened " + A,
              "CircuitHalfOpened " + A,
              "CircuitClosed " + A);
    }
  }

  @Test
  void aBackendsOwnPolicyGivesItAFailsafeBreaker() {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of(A, ARCH))
            .backend(Backend.of(B, ARCH))
            .acquireTimeout(Duration.ZERO)
            .circuitBreaker(A, CircuitBreakerPolicy.Failsafe.defaults()) // opens at 1 failure
            .build()) {
      Lease first = lease(pool);
      Lease second = lease(pool);
      assertThat(List.of(first.backend().addr(), second.backend().addr()))
          .containsExactlyInAnyOrder(A, B);
      first.recordFailure(new IOException("down"));
      second.recordFailure(new IOException("down"));

      assertThat(circuitOf(pool, A)).isEqualTo(State.OPEN);
      assertThat(circuitOf(pool, B)).as("the default breaker opens at 3").isEqualTo(State.CLOSED);
    }
  }

  @Test
  void aFactoryThatReturnsNullIsNamedWithTheBackend() {
    assertThatThrownBy(
            () ->
                BackendPool.builder()
                    .backend(Backend.of(A, ARCH))
                    .circuitBreaker(FailsafeCircuitBreakers.factory(backend -> null))
                    .build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining(A);
  }
}
