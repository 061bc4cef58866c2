package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Priority;
import dev.melange.pool.Selector;
import dev.melange.pool.core.config.PoolSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Waiters are served by priority, then arrival, and rise a level for each {@code priorityAging}
 * they wait: through the public API, on one backend of one slot and a {@link FakeTicker}, so every
 * hand-off happens on the releasing thread, in a known order.
 */
class PriorityTest {
  private static final String ARCH = "x86_64";
  private static final String ADDR = "tcp://a:1";
  private static final Duration LONG = Duration.ofMinutes(1);
  private static final Duration AGING = Duration.ofSeconds(10);

  private final FakeTicker ticker = new FakeTicker();

  @SuppressWarnings("NullAway.Init") // JUnit sets it before each test
  @TempDir
  Path dir;

  private BackendPool.Builder oneSlot() {
    return BackendPool.builder()
        .ticker(ticker)
        .acquireTimeout(LONG)
        .backend(Backend.of(ADDR, ARCH).withMaxJobs(1));
  }

  private static CompletableFuture<Lease> waitFor(BackendPool pool, Priority priority) {
    return pool.acquireAsync(
        ARCH, Selector.any(), AcquireOptions.defaults().withPriority(priority).withTimeout(LONG));
  }

  private static Lease take(BackendPool pool) {
    return pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
  }

  /**
   * Ends {@code held}, then each lease it is handed on as, and names the waiters in the order they
   * were served; each release must serve exactly one of them.
   */
  private static List<String> servedInOrder(
      Lease held, Map<String, CompletableFuture<Lease>> waiting) {
    Map<String, CompletableFuture<Lease>> left = new LinkedHashMap<>(waiting);
    assertThat(left.values()).as("served before any release").noneMatch(f -> f.isDone());
    List<String> order = new ArrayList<>();
    Lease current = held;
    while (!left.isEmpty()) {
      current.close();
      List<String> served =
          left.entrySet().stream().filter(e -> e.getValue().isDone()).map(e -> e.getKey()).toList();
      assertThat(served).as("served by one release, after %s", order).hasSize(1);
      order.add(served.get(0));
      current = left.remove(served.get(0)).join();
    }
    current.close();
    return order;
  }

  /**
   * Which of two waiters a release serves: a LOW one that has waited {@code lowWaited}, or a NORMAL
   * one that has just arrived. Leaves the pool idle.
   */
  private String firstServedAfterLowWaited(BackendPool pool, Duration lowWaited) {
    Map<String, CompletableFuture<Lease>> waiting = new LinkedHashMap<>();
    Lease held = take(pool);
    waiting.put("low", waitFor(pool, Priority.LOW));
    ticker.advance(lowWaited);
    waiting.put("normal", waitFor(pool, Priority.NORMAL));
    return servedInOrder(held, waiting).get(0);
  }

  @Test
  void aReleaseServesTheHighestPriorityFirstAndEqualPrioritiesInArrivalOrder() {
    try (BackendPool pool = oneSlot().build()) {
      Lease held = take(pool);
      Map<String, CompletableFuture<Lease>> waiting = new LinkedHashMap<>();
      waiting.put("low-1", waitFor(pool, Priority.LOW));
      waiting.put("high-1", waitFor(pool, Priority.HIGH));
      waiting.put("normal-1 (no options)", pool.acquireAsync(ARCH, Selector.any(), LONG));
      waiting.put("critical-1", waitFor(pool, Priority.CRITICAL));
      waiting.put("low-2", waitFor(pool, Priority.LOW));
      waiting.put("normal-2", waitFor(pool, Priority.NORMAL));
      waiting.put("critical-2", waitFor(pool, Priority.CRITICAL));
      waiting.put("high-2", waitFor(pool, Priority.HIGH));

      assertThat(servedInOrder(held, waiting))
          .containsExactly(
              "critical-1",
              "critical-2",
              "high-1",
              "high-2",
              "normal-1 (no options)",
              "normal-2",
              "low-1",
              "low-2");
      assertThat(PoolStatus.of(pool, ADDR).activeJobs()).isZero();
    }
  }

  @Test
  void aHigherPriorityWaiterThatCannotUseTheFreedSlotDoesNotHoldItBack() {
    try (BackendPool pool =
        BackendPool.builder()
            .ticker(ticker)
            .backend(new Backend("tcp://big:1", ARCH, 1, Map.of("tier", "big")))
            .backend(new Backend("tcp://std:1", ARCH, 1, Map.of("tier", "std")))
            .build()) {
      Lease big = pool.tryAcquire(ARCH, Selector.parse("tier=big")).orElseThrow();
      Lease std = pool.tryAcquire(ARCH, Selector.parse("tier=std")).orElseThrow();
      CompletableFuture<Lease> criticalForBig =
          pool.acquireAsync(
              ARCH,
              Selector.parse("tier=big"),
              AcquireOptions.defaults().withPriority(Priority.CRITICAL).withTimeout(LONG));
      CompletableFuture<Lease> lowForAny = waitFor(pool, Priority.LOW);

      std.close();
      assertThat(criticalForBig).isNotDone();
      assertThat(lowForAny.join().backend().addr()).isEqualTo("tcp://std:1");
      big.close();
      assertThat(criticalForBig.join().backend().addr()).isEqualTo("tcp://big:1");
    }
  }

  @Test
  void aCriticalAcquireWaitsForAFreeSlotLikeAnyOther() {
    try (BackendPool pool = oneSlot().build()) {
      Lease held = take(pool);
      CompletableFuture<Lease> critical = waitFor(pool, Priority.CRITICAL);
      AcquireOptions criticalNow = AcquireOptions.defaults().withPriority(Priority.CRITICAL);

      assertThat(critical).isNotDone();
      assertThat(pool.tryAcquire(ARCH, Selector.any(), criticalNow)).isEmpty();
      assertThat(PoolStatus.of(pool, ADDR).activeJobs()).isEqualTo(1);

      held.close();
      assertThat(critical).isCompleted();
      assertThat(PoolStatus.of(pool, ADDR).activeJobs()).isEqualTo(1);
      critical.join().close();
      assertThat(PoolStatus.of(pool, ADDR).activeJobs()).isZero();
    }
  }

  @Test
  void aLowWaiterRisesALevelOnlyOnceItHasWaitedAFullAgingPeriod() {
    try (BackendPool pool = oneSlot().priorityAging(AGING).build()) {
      assertThat(firstServedAfterLowWaited(pool, AGING.minusNanos(1))).isEqualTo("normal");
      // Risen to NORMAL, and there first.
      assertThat(firstServedAfterLowWaited(pool, AGING)).isEqualTo("low");
    }
  }

  @Test
  void aLowWaiterBeatsANewerHighOneOnlyAfterTwoAgingPeriods() {
    try (BackendPool pool = oneSlot().priorityAging(AGING).build()) {
      Lease held = take(pool);
      CompletableFuture<Lease> low = waitFor(pool, Priority.LOW);
      ticker.advance(AGING);
      CompletableFuture<Lease> firstHigh = waitFor(pool, Priority.HIGH);

      held.close(); // the LOW one counts as NORMAL now: HIGH first
      assertThat(firstHigh).isCompleted();
      assertThat(low).isNotDone();

      ticker.advance(AGING); // two periods: the LOW one counts as HIGH, and came first
      CompletableFuture<Lease> secondHigh = waitFor(pool, Priority.HIGH);
      firstHigh.join().close();
      assertThat(low).isCompleted();
      assertThat(secondHigh).isNotDone();

      low.join().close();
      secondHigh.join().close();
    }
  }

  @Test
  void agingStopsAtCriticalWhereArrivalDecides() {
    try (BackendPool pool = oneSlot().priorityAging(AGING).build()) {
      Lease held = take(pool);
      Map<String, CompletableFuture<Lease>> waiting = new LinkedHashMap<>();
      waiting.put("critical-1", waitFor(pool, Priority.CRITICAL));
      waiting.put("low", waitFor(pool, Priority.LOW));
      ticker.advance(AGING.multipliedBy(100));
      waiting.put("critical-2", waitFor(pool, Priority.CRITICAL));

      assertThat(servedInOrder(held, waiting)).containsExactly("critical-1", "low", "critical-2");
    }
  }

  @Test
  void priorityAgingIsTenSecondsByDefault() {
    try (BackendPool pool = oneSlot().build()) {
      assertThat(firstServedAfterLowWaited(pool, Duration.ofSeconds(10).minusNanos(1)))
          .isEqualTo("normal");
      assertThat(firstServedAfterLowWaited(pool, Duration.ofSeconds(10))).isEqualTo("low");
    }
  }

  @Test
  void priorityAgingMustBePositive() {
    BackendPool.Builder builder = BackendPool.builder();
    assertThatThrownBy(() -> builder.priorityAging(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorityAging must be > 0, was 0s");
    assertThatThrownBy(() -> builder.priorityAging(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorityAging must be > 0, was -1s");
  }

  @Test
  void priorityAgingIsReadFromTheFileAndGivenToThePool() throws IOException {
    ConfigFiles files = new ConfigFiles(dir);
    PoolSettings settings =
        files.load(
            """
            backends:
              - addr: tcp://a:1
                arch: x86_64
                maxJobs: 1
            priorityAging: 1m30s
            """);
    assertThat(settings.priorityAging()).isEqualTo(Duration.ofSeconds(90));

    try (BackendPool pool = PoolBuilder.from(settings).ticker(ticker).build()) {
      assertThat(firstServedAfterLowWaited(pool, Duration.ofSeconds(90).minusNanos(1)))
          .isEqualTo("normal");
      assertThat(firstServedAfterLowWaited(pool, Duration.ofSeconds(90))).isEqualTo("low");
    }
  }

  @Test
  void aBadPriorityAgingInTheFileIsReportedWhereItIs() throws IOException {
    ConfigFiles files = new ConfigFiles(dir);
    String oneBackend =
        """
        backends:
          - addr: tcp://a:1
            arch: x86_64
        """;
    assertThat(files.problems(oneBackend + "priorityAging: 0s\n"))
        .containsExactly("backends.yaml:4:16: priorityAging: must be > 0, was 0s");
    assertThat(files.problems(oneBackend + "priorityAging: -5s\n"))
        .containsExactly("backends.yaml:4:16: priorityAging: must be > 0, was -5s");
    assertThat(files.problems(oneBackend + "priorityAging: 10\n"))
        .containsExactly(
            "backends.yaml:4:16: priorityAging: must be a duration such as 30s, was 10");
    assertThat(files.problems(oneBackend + "priorityaging: 10s\n"))
        .containsExactly(
            "backends.yaml:4:1: priorityaging: unknown key, did you mean priorityAging?");
  }

  @Test
  void aReloadChangesPriorityAgingForTheWaitersAlreadyWaiting() throws IOException {
    try (BackendPool pool = oneSlot().priorityAging(Duration.ofHours(1)).build()) {
      assertThat(firstServedAfterLowWaited(pool, AGING)).isEqualTo("normal");

      Lease held = take(pool);
      Map<String, CompletableFuture<Lease>> waiting = new LinkedHashMap<>();
      waiting.put("low", waitFor(pool, Priority.LOW));
      ticker.advance(AGING);
      waiting.put("normal", waitFor(pool, Priority.NORMAL));
      pool.reload(
          new ConfigFiles(dir)
              .write(
                  """
                  backends:
                    - addr: tcp://a:1
                      arch: x86_64
                      maxJobs: 1
                  acquireTimeout: 1m
                  priorityAging: 5s
                  """));

      // The LOW one has waited two periods of 5s: it counts as HIGH now.
      assertThat(servedInOrder(held, waiting)).containsExactly("low", "normal");
    }
  }
}
