package dev.melange.pool.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The references the benchmarks measure melange-pool against must be correct, or their numbers mean
 * nothing: each picks the least-loaded backend (the earliest on a tie), never exceeds {@code
 * maxJobs}, also with four threads at once, and gives back exactly what it took.
 */
class ReferencesTest {
  private static final String ARCH = "x86_64";

  @ParameterizedTest
  @EnumSource(Kind.class)
  void picksTheLeastLoadedBackendAndTiesGoToTheEarliest(Kind kind) {
    Reference reference = kind.create(fleet(3, 4));

    List<Object> leases = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      leases.add(reference.acquire());
    }
    assertThat(leases).extracting(reference::indexOf).containsExactly(0, 1, 2, 0, 1, 2);

    reference.release(leases.get(1)); // backend 1 now runs one job, the others two
    assertThat(reference.indexOf(reference.acquire())).isEqualTo(1);

    reference.release(leases.get(0));
    reference.release(leases.get(3)); // backend 0 now idle
    assertThat(reference.indexOf(reference.acquire())).isEqualTo(0);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void neverExceedsMaxJobsAndReleasingGivesEverySlotBack(Kind kind) {
    Reference reference = kind.create(fleet(3, 4));

    List<Object> leases = acquireUntilRefused(reference);
    assertThat(leases).extracting(reference::indexOf).filteredOn(i -> i == 0).hasSize(4);
    assertThat(leases).extracting(reference::indexOf).filteredOn(i -> i == 1).hasSize(4);
    assertThat(leases).extracting(reference::indexOf).filteredOn(i -> i == 2).hasSize(4);
    assertThat(reference.activeJobs()).isEqualTo(12);

    leases.forEach(reference::release);
    assertThat(reference.activeJobs()).isZero();
    assertThat(acquireUntilRefused(reference)).hasSize(12);
  }

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"MELANGE_SERVER_PORT", "RESILIENCE4J", "FAILSAFE"})
  void loadIsActiveJobsOverMaxJobs(Kind kind) {
    Reference reference =
        kind.create(List.of(backend(0, 2, Fleet.LABELS), backend(1, 8, Fleet.LABELS)));

    // 1 of 2 (0.5) loses to 3 of 8 (0.375); 4 of 8 ties with 1 of 2 and the earliest wins.
    assertThat(acquireUntilRefused(reference))
        .extracting(reference::indexOf)
        .containsExactly(0, 1, 1, 1, 1, 0, 1, 1, 1, 1);
  }

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"MELANGE_SERVER_PORT", "RESILIENCE4J", "FAILSAFE"})
  void matchesTheArchExactlyAndEverySelectorLabel(Kind kind) {
    Reference reference =
        kind.create(
            List.of(
                new Backend("tcp://arm:1234", "aarch64", 4, Fleet.LABELS),
                backend(1, 4, Fleet.LABELS),
                backend(2, 4, Map.of("tier", "high-memory", "memory", "64gi"))));

    assertThat(reference.indexOf(reference.acquire(ARCH, Map.of("tier", "high-memory"))))
        .isEqualTo(2);
    assertThat(reference.indexOf(reference.acquire(ARCH, Map.of()))).isEqualTo(1);
    assertThat(reference.indexOf(reference.acquire("aarch64", Map.of()))).isZero();
    assertThat(reference.acquire("x86", Map.of())).isNull();
    assertThat(reference.acquire(ARCH, Map.of("tier", "gpu"))).isNull();
  }

  @ParameterizedTest
  @EnumSource(
      value = Kind.class,
      names = {"RESILIENCE4J", "FAILSAFE", "LEASE_FLOOR"})
  void aLeaseEndsOnlyOnce(Kind kind) {
    Reference reference = kind.create(fleet(2, 4));
    Object lease = reference.acquire();

    reference.release(lease);
    reference.release(lease);

    assertThat(reference.activeJobs()).isZero();
    assertThat(acquireUntilRefused(reference)).hasSize(8);
  }

  @Test
  void thePortKeepsMelangeServersUnguardedDoubleRelease() {
    MelangeServerPort port = new MelangeServerPort(fleet(1, 4));
    MelangeServerPort.PortBackend backend = port.acquire(ARCH, Map.of());

    port.release(backend, true);
    port.release(backend, true);

    assertThat(backend.activeJobs.get()).isEqualTo(-1);
  }

  @Test
  void thePortSkipsAnOpenCircuitAndASuccessClosesIt() {
    List<Backend> fleet = fleet(2, 4);
    MelangeServerPort port = new MelangeServerPort(fleet);
    MelangeServerPort.PortBackend first = port.acquire(ARCH, Map.of());
    port.release(first, false);
    assertThat(port.acquire(ARCH, Map.of())).isSameAs(first);
    port.release(first, false);
    assertThat(port.acquire(ARCH, Map.of())).isSameAs(first);
    port.release(first, false); // the third consecutive failure

    assertThat(first.circuitOpen.get()).isTrue();
    MelangeServerPort.PortBackend next = port.acquire(ARCH, Map.of());
    assertThat(next.config).isEqualTo(fleet.get(1));

    port.release(next, true);
    first.activeJobs.incrementAndGet(); // a job started before the circuit opened...
    port.release(first, true); // ...closes it when it succeeds, as in melange-server
    assertThat(first.circuitOpen.get()).isFalse();
    assertThat(port.acquire(ARCH, Map.of())).isSameAs(first);
  }

  @Test
  void thePortAddsAndRemovesUnderItsWriteLock() {
    MelangeServerPort port = new MelangeServerPort(fleet(1, 4));
    port.add(backend(1, 4, Fleet.LABELS));

    assertThatThrownBy(() -> port.add(backend(1, 4, Fleet.LABELS)))
        .hasMessage("backend already exists: tcp://buildkit-1:1234");
    port.remove("tcp://buildkit-0:1234");
    assertThat(port.acquire(ARCH, Map.of()).config.addr()).isEqualTo("tcp://buildkit-1:1234");
    assertThatThrownBy(() -> port.remove("tcp://nowhere:1234"))
        .hasMessage("backend not found: tcp://nowhere:1234");
    assertThatThrownBy(() -> port.remove("tcp://buildkit-1:1234"))
        .hasMessage("cannot remove the last backend");
  }

  @Test
  void resilience4jSkipsABackendWhoseCircuitRefuses() {
    Resilience4jComposition composition = new Resilience4jComposition(fleet(2, 4));
    composition.circuitBreaker(0).transitionToOpenState();

    Resilience4jComposition.Lease lease = composition.acquire(ARCH, Map.of());

    assertThat(lease.backend().addr()).isEqualTo("tcp://buildkit-1:1234");
    assertThat(composition.activeJobs()).isEqualTo(1);
    lease.recordFailure(new IllegalStateException("build failed"));
    assertThat(composition.activeJobs()).isZero();
    assertThat(composition.circuitBreaker(1).getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
  }

  @Test
  void failsafeSkipsABackendWhoseCircuitRefusesAndOpensAfterThreeFailures() {
    FailsafeComposition composition = new FailsafeComposition(fleet(2, 4));
    for (int i = 0; i < 3; i++) {
      FailsafeComposition.Lease lease = composition.acquire(ARCH, Map.of());
      assertThat(lease.backend().addr()).isEqualTo("tcp://buildkit-0:1234");
      lease.recordFailure(new IllegalStateException("build failed"));
    }
    assertThat(composition.circuitBreaker(0).isOpen()).isTrue();

    FailsafeComposition.Lease lease = composition.acquire(ARCH, Map.of());

    assertThat(lease.backend().addr()).isEqualTo("tcp://buildkit-1:1234");
    lease.recordSuccess();
    assertThat(composition.activeJobs()).isZero();
  }

  /**
   * Four threads on three single-job backends, so acquisitions collide and are refused: every lease
   * holder counts itself in and out of its backend and reads the reference's own count of it, and
   * neither may ever reach two.
   */
  @ParameterizedTest
  @EnumSource(Kind.class)
  void fourThreadsNeverExceedMaxJobsAndLeakNothing(Kind kind) throws Exception {
    int threads = 4;
    int roundTrips = 20_000;
    int maxJobs = 1;
    Reference reference = kind.create(fleet(3, maxJobs));
    AtomicInteger[] holders =
        IntStream.range(0, 3).mapToObj(i -> new AtomicInteger()).toArray(AtomicInteger[]::new);
    AtomicInteger mostSeen = new AtomicInteger();
    AtomicInteger mostCounted = new AtomicInteger();
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> tasks = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        tasks.add(
            executor.submit(
                () -> {
                  start.await();
                  for (int done = 0; done < roundTrips; ) {
                    Object lease = reference.acquire();
                    if (lease == null) {
                      Thread.onSpinWait();
                      continue;
                    }
                    int index = reference.indexOf(lease);
                    mostSeen.accumulateAndGet(holders[index].incrementAndGet(), Math::max);
                    mostCounted.accumulateAndGet(reference.activeJobs(index), Math::max);
                    for (int spin = 0; spin < 16; spin++) {
                      Thread.onSpinWait(); // hold the job a moment, so that overlaps show
                    }
                    holders[index].decrementAndGet();
                    reference.release(lease);
                    done++;
                  }
                  return null;
                }));
      }
      for (Future<?> task : tasks) {
        task.get(10, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdownNow();
    }

    assertThat(mostSeen.get()).as("lease holders at once").isBetween(1, maxJobs);
    assertThat(mostCounted.get()).as("jobs the reference counted").isBetween(1, maxJobs);
    assertThat(reference.activeJobs()).isZero();
    assertThat(acquireUntilRefused(reference)).hasSize(3 * maxJobs);
  }

  private static List<Object> acquireUntilRefused(Reference reference) {
    List<Object> leases = new ArrayList<>();
    for (Object lease = reference.acquire(); lease != null; lease = reference.acquire()) {
      leases.add(lease);
      assertThat(leases).as("more leases than slots").hasSizeLessThanOrEqualTo(100);
    }
    return leases;
  }

  private static List<Backend> fleet(int n, int maxJobs) {
    List<Backend> fleet = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fleet.add(backend(i, maxJobs, Fleet.LABELS));
    }
    return fleet;
  }

  private static Backend backend(int i, int maxJobs, Map<String, String> labels) {
    return new Backend("tcp://buildkit-" + i + ":1234", ARCH, maxJobs, labels);
  }

  /** Each reference, behind one face so that every test runs on all of them. */
  enum Kind {
    MELANGE_SERVER_PORT,
    RESILIENCE4J,
    FAILSAFE,
    /** Ignores arch, labels and per-backend limits: one counter per backend, the first's limit. */
    LEASE_FLOOR;

    Reference create(List<Backend> fleet) {
      return switch (this) {
        case MELANGE_SERVER_PORT -> port(fleet);
        case RESILIENCE4J -> resilience4j(fleet);
        case FAILSAFE -> failsafe(fleet);
        case LEASE_FLOOR -> leaseFloor(fleet);
      };
    }
  }

  /**
   * A lease is an {@code Object} here; {@link #indexOf} says which backend of the fleet it holds.
   */
  interface Reference {
    Object acquire(String arch, Map<String, String> selector);

    default Object acquire() {
      return acquire(ARCH, Map.of());
    }

    int indexOf(Object lease);

    void release(Object lease);

    int activeJobs();

    int activeJobs(int index);
  }

  private static Reference port(List<Backend> fleet) {
    MelangeServerPort port = new MelangeServerPort(fleet);
    return new Reference() {
      @Override
      public Object acquire(String arch, Map<String, String> selector) {
        return port.acquire(arch, selector);
      }

      @Override
      public int indexOf(Object lease) {
        return fleet.indexOf(((MelangeServerPort.PortBackend) lease).config);
      }

      @Override
      public void release(Object lease) {
        port.release((MelangeServerPort.PortBackend) lease, true);
      }

      @Override
      public int activeJobs() {
        return port.activeJobs();
      }

      @Override
      public int activeJobs(int index) {
        return port.activeJobs(index);
      }
    };
  }

  private static Reference resilience4j(List<Backend> fleet) {
    Resilience4jComposition composition = new Resilience4jComposition(fleet);
    return new Reference() {
      @Override
      public Object acquire(String arch, Map<String, String> selector) {
        return composition.acquire(arch, selector);
      }

      @Override
      public int indexOf(Object lease) {
        return fleet.indexOf(((Resilience4jComposition.Lease) lease).backend());
      }

      @Override
      public void release(Object lease) {
        ((Resilience4jComposition.Lease) lease).recordSuccess();
      }

      @Override
      public int activeJobs() {
        return composition.activeJobs();
      }

      @Override
      public int activeJobs(int index) {
        return composition.activeJobs(index);
      }
    };
  }

  private static Reference failsafe(List<Backend> fleet) {
    FailsafeComposition composition = new FailsafeComposition(fleet);
    return new Reference() {
      @Override
      public Object acquire(String arch, Map<String, String> selector) {
        return composition.acquire(arch, selector);
      }

      @Override
      public int indexOf(Object lease) {
        return fleet.indexOf(((FailsafeComposition.Lease) lease).backend());
      }

      @Override
      public void release(Object lease) {
        ((FailsafeComposition.Lease) lease).recordSuccess();
      }

      @Override
      public int activeJobs() {
        return composition.activeJobs();
      }

      @Override
      public int activeJobs(int index) {
        return composition.activeJobs(index);
      }
    };
  }

  private static Reference leaseFloor(List<Backend> fleet) {
    LeaseFloor floor = new LeaseFloor(fleet.size(), fleet.get(0).maxJobs());
    return new Reference() {
      @Override
      public Object acquire(String arch, Map<String, String> selector) {
        if (!arch.equals(ARCH) || !selector.isEmpty()) {
          throw new UnsupportedOperationException("the lease floor has no arch or labels");
        }
        return floor.tryAcquire();
      }

      @Override
      public int indexOf(Object lease) {
        return floor.indexOf((LeaseFloor.Lease) lease);
      }

      @Override
      public void release(Object lease) {
        ((LeaseFloor.Lease) lease).end();
      }

      @Override
      public int activeJobs() {
        return floor.activeJobs();
      }

      @Override
      public int activeJobs(int index) {
        return floor.activeJobs(index);
      }
    };
  }
}
