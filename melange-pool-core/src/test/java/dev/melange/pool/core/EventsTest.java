package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Pool events: what is told, in which order, and that listeners cannot hurt the pool. */
class EventsTest {
  private static final String ARCH = "x86_64";
  private final FakeTicker ticker = new FakeTicker();
  private final BlockingQueue<PoolEvent> heard = new LinkedBlockingQueue<>();

  private BackendPool pool(String... addrs) {
    BackendPool.Builder builder =
        BackendPool.builder()
            .ticker(ticker)
            .failureThreshold(1)
            .recoveryTimeout(Duration.ofSeconds(10))
            .acquireTimeout(Duration.ZERO);
    for (String addr : addrs) {
      builder.backend(Backend.of(addr, ARCH).withMaxJobs(2));
    }
    return builder.build();
  }

  /** The next events heard, waiting up to 10 s for them. */
  private List<PoolEvent> next(int count) throws InterruptedException {
    List<PoolEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      PoolEvent event = heard.poll(10, TimeUnit.SECONDS);
      assertThat(event).as("event %d of %d (got %s)", i + 1, count, events).isNotNull();
      events.add(event);
    }
    return events;
  }

  /** Events as "Type addr-or-arch" for compact assertions. */
  private static List<String> names(List<PoolEvent> events) throws ReflectiveOperationException {
    List<String> names = new ArrayList<>();
    for (PoolEvent event : events) {
      String what;
      if (event instanceof PoolEvent.AdminStateChanged e) {
        what = e.addr() + " " + e.from() + "->" + e.to();
      } else if (event instanceof PoolEvent.AllDown e) {
        what = e.arch();
      } else if (event instanceof PoolEvent.Recovered e) {
        what = e.arch();
      } else {
        // The rest carry an address as their first component.
        what =
            String.valueOf(event.getClass().getRecordComponents()[0].getAccessor().invoke(event));
      }
      names.add(event.getClass().getSimpleName() + " " + what);
    }
    return names;
  }

  @Test
  void lifecycleEventsComeInOrder() throws Exception {
    try (BackendPool pool = pool("tcp://a:1", "tcp://b:1")) {
      pool.subscribe(heard::add);
      pool.add(Backend.of("tcp://c:1", ARCH));
      pool.cordon("tcp://a:1");
      pool.uncordon("tcp://a:1");
      Lease onA = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      var drained = pool.drain("tcp://a:1");
      assertThat(names(next(4)))
          .containsExactly(
              "BackendAdded tcp://c:1",
              "AdminStateChanged tcp://a:1 READY->CORDONED",
              "AdminStateChanged tcp://a:1 CORDONED->READY",
              "AdminStateChanged tcp://a:1 READY->DRAINING");
      onA.close();
      drained.get(10, TimeUnit.SECONDS);
      assertThat(names(next(2)))
          .containsExactly("BackendRemoved tcp://a:1", "BackendDrained tcp://a:1");

      Lease onB = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      pool.remove(onB.backend().addr());
      assertThat(names(next(1))).containsExactly("BackendRemoved " + onB.backend().addr());
      onB.close(); // its last lease: drained now
      PoolEvent drainedB = next(1).get(0);
      assertThat(names(List.of(drainedB)))
          .containsExactly("BackendDrained " + onB.backend().addr());
      assertThat(drainedB.at()).isBeforeOrEqualTo(java.time.Instant.now());
    }
  }

  @Test
  void circuitEventsAndAnArchGoingAllDownAndRecovering() throws Exception {
    try (BackendPool pool = pool("tcp://a:1")) {
      pool.subscribe(heard::add);
      pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new Exception("boom"));
      assertThat(names(next(2))).containsExactly("CircuitOpened tcp://a:1", "AllDown x86_64");
      ticker.advance(Duration.ofSeconds(10));
      Lease trial = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      assertThat(names(next(1))).containsExactly("CircuitHalfOpened tcp://a:1");
      trial.recordSuccess();
      assertThat(names(next(2))).containsExactly("CircuitClosed tcp://a:1", "Recovered x86_64");
    }
  }

  @Test
  void cordoningEveryBackendOfAnArchIsAllDown() throws Exception {
    try (BackendPool pool = pool("tcp://a:1", "tcp://b:1")) {
      pool.subscribe(heard::add);
      pool.cordon("tcp://a:1");
      assertThat(names(next(1))).containsExactly("AdminStateChanged tcp://a:1 READY->CORDONED");
      pool.cordon("tcp://*");
      assertThat(names(next(2)))
          .containsExactly("AdminStateChanged tcp://b:1 READY->CORDONED", "AllDown x86_64");
      pool.uncordon("tcp://b:1");
      assertThat(names(next(2)))
          .containsExactly("AdminStateChanged tcp://b:1 CORDONED->READY", "Recovered x86_64");
    }
  }

  @Test
  void aThrowingListenerIsLoggedAndTheOthersAndItKeepHearing() throws Exception {
    try (BackendPool pool = pool("tcp://a:1", "tcp://b:1")) {
      AtomicInteger thrown = new AtomicInteger();
      pool.subscribe(
          event -> {
            thrown.incrementAndGet();
            throw new IllegalStateException("listener bug");
          });
      pool.subscribe(heard::add);
      pool.cordon("tcp://a:1");
      pool.uncordon("tcp://a:1");
      assertThat(next(2)).hasSize(2);
      assertThat(thrown).hasValue(2);
    }
  }

  @Test
  void aSlowListenerDoesNotStallThePool() throws Exception {
    try (BackendPool pool = pool("tcp://a:1", "tcp://b:1")) {
      CountDownLatch release = new CountDownLatch(1);
      pool.subscribe(
          event -> {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      pool.subscribe(heard::add);
      for (int i = 0; i < 100; i++) {
        pool.cordon("tcp://a:1");
        pool.uncordon("tcp://a:1");
        pool.tryAcquire(ARCH, Selector.any()).orElseThrow().recordFailure(new Exception());
        ticker.advance(Duration.ofSeconds(10));
        pool.tryAcquire(ARCH, Selector.any()).ifPresent(Lease::recordSuccess);
      }
      assertThat(heard).isEmpty(); // all stuck behind the slow listener, the pool went on
      release.countDown();
      assertThat(next(200)).hasSize(200);
    }
  }

  @Test
  void unsubscribingStopsTheEvents() throws Exception {
    try (BackendPool pool = pool("tcp://a:1", "tcp://b:1")) {
      AutoCloseable subscription = pool.subscribe(heard::add);
      pool.cordon("tcp://a:1");
      assertThat(next(1)).hasSize(1);
      subscription.close();
      subscription.close(); // idempotent
      pool.uncordon("tcp://a:1");
      BlockingQueue<PoolEvent> after = new LinkedBlockingQueue<>();
      AutoCloseable marker = pool.subscribe(after::add);
      pool.cordon("tcp://b:1");
      // Delivered in order: once the marker hears the later cordon, the uncordon is past too.
      assertThat(after.poll(10, TimeUnit.SECONDS)).isInstanceOf(PoolEvent.AdminStateChanged.class);
      assertThat(heard).isEmpty();
      marker.close();
    }
  }

  @Test
  void anArchEmptiedWhileDownRecoversWhenAHealthyBackendComesBack() throws Exception {
    BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://x:1", ARCH))
            .backend(Backend.of("tcp://arm:1", "aarch64"))
            .acquireTimeout(Duration.ZERO)
            .build();
    try (pool) {
      pool.subscribe(heard::add);
      pool.cordon("tcp://x:1");
      assertThat(names(next(2)))
          .containsExactly("AdminStateChanged tcp://x:1 READY->CORDONED", "AllDown x86_64");
      pool.remove("tcp://x:1"); // idle: drained right after, on the timer thread
      assertThat(names(next(2)))
          .containsExactly("BackendRemoved tcp://x:1", "BackendDrained tcp://x:1");
      pool.add(Backend.of("tcp://x2:1", ARCH));
      assertThat(names(next(2))).containsExactly("BackendAdded tcp://x2:1", "Recovered x86_64");
    }
  }
}
