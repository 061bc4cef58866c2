package dev.melange.pool.benchmarks;

import dev.failsafe.Bulkhead;
import dev.failsafe.CircuitBreaker;
import dev.melange.pool.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The same composition as {@link Resilience4jComposition}, with Failsafe 3.3.2: per backend one
 * {@link Bulkhead} (as many permits as the backend's {@code maxJobs}) and one {@link
 * CircuitBreaker} (opens after 3 failures, stays open 30 s: melange-server's settings), plus a
 * least-loaded scan over them.
 *
 * <p>Failsafe's bulkhead does not say how many permits are out, so each backend also counts its
 * jobs in an {@link AtomicInteger}: incremented after both permits are granted, decremented before
 * the bulkhead permit is given back, so it never exceeds the permits held. That count is the load
 * the scan reads.
 *
 * <p>Acquire: look up the backends of the arch (grouped once), scan for the lowest {@code active /
 * maxJobs}, checking labels only of a backend that would win and stopping at an idle one; then
 * {@code circuitBreaker.tryAcquirePermit()} (a refusal excludes that backend from this call's
 * rescans; the breaker's state is not read in the scan because Failsafe moves from open to
 * half-open only inside {@code tryAcquirePermit()}) and {@code bulkhead.tryAcquirePermit()} (a
 * refusal means the backend filled up since the scan: rescan).
 *
 * <p>Release: the lease ends once; it decrements the count, gives the bulkhead permit back and
 * records the outcome on the breaker. Never more than {@code maxJobs} leases per backend: the
 * bulkhead guarantees it. Thread-safe.
 */
final class FailsafeComposition {
  static final int DEFAULT_MAX_JOBS = 4;

  private final Map<String, Member[]> membersByArch;
  private final List<Member> members = new ArrayList<>();

  FailsafeComposition(List<Backend> config) {
    Map<String, List<Member>> byArch = new LinkedHashMap<>();
    for (Backend backend : config) {
      int maxJobs = backend.maxJobs() == 0 ? DEFAULT_MAX_JOBS : backend.maxJobs();
      CircuitBreaker<Object> breaker =
          CircuitBreaker.builder()
              .withFailureThreshold(3)
              .withDelay(Duration.ofSeconds(30))
              .build();
      List<Member> group = byArch.computeIfAbsent(backend.arch(), arch -> new ArrayList<>());
      Member member = new Member(backend, group.size(), maxJobs, Bulkhead.of(maxJobs), breaker);
      group.add(member);
      members.add(member);
    }
    Map<String, Member[]> arrays = new LinkedHashMap<>();
    byArch.forEach((arch, group) -> arrays.put(arch, group.toArray(new Member[0])));
    this.membersByArch = Map.copyOf(arrays);
  }

  /** A lease on the least-loaded matching backend, or null when none is available. */
  @Nullable Lease acquire(String arch, Map<String, String> selector) {
    Member[] group = membersByArch.get(arch);
    if (group == null) {
      return null;
    }
    BitSet refused = null; // allocated only when a circuit says no
    while (true) {
      Member member = leastLoaded(group, selector, refused);
      if (member == null) {
        return null;
      }
      if (!member.breaker.tryAcquirePermit()) {
        if (refused == null) {
          refused = new BitSet(group.length);
        }
        refused.set(member.index);
        continue;
      }
      if (!member.bulkhead.tryAcquirePermit()) {
        // The honest limitation: Failsafe has no way to give a circuit permit back without
        // recording an outcome, and there was no call, so nothing is recorded. Closed, that costs
        // nothing (a closed breaker counts no permits). Half-open, the trial permit stays taken:
        // unless a lease still out records an outcome, the backend is refused from then on.
        // Asking the bulkhead first would avoid it (a bulkhead permit can be given back); this
        // keeps the order of the Resilience4j composition, and the measured path is the same.
        continue;
      }
      member.active.incrementAndGet();
      return new Lease(member);
    }
  }

  private static @Nullable Member leastLoaded(
      Member[] group, Map<String, String> selector, @Nullable BitSet refused) {
    Member best = null;
    long bestActive = 0;
    long bestMax = 1;
    for (Member member : group) {
      int max = member.maxJobs;
      int active = member.active.get();
      if (active >= max || (best != null && active * bestMax >= bestActive * max)) {
        continue;
      }
      if (!matches(member.backend.labels(), selector)
          || (refused != null && refused.get(member.index))) {
        continue;
      }
      best = member;
      bestActive = active;
      bestMax = max;
      if (active == 0) {
        break;
      }
    }
    return best;
  }

  private static boolean matches(Map<String, String> labels, Map<String, String> selector) {
    if (selector.isEmpty()) {
      return true;
    }
    for (Map.Entry<String, String> wanted : selector.entrySet()) {
      if (!wanted.getValue().equals(labels.get(wanted.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The circuit breaker of a backend, by configuration index; for tests. */
  CircuitBreaker<Object> circuitBreaker(int index) {
    return members.get(index).breaker;
  }

  /** Jobs held on one backend by the composition's own count, by configuration index; for tests. */
  int activeJobs(int index) {
    return members.get(index).active.get();
  }

  /** Jobs held on all backends together, by the composition's own counts. */
  int activeJobs() {
    int sum = 0;
    for (Member member : members) {
      sum += member.active.get();
    }
    return sum;
  }

  private static final class Member {
    final Backend backend;
    final int index; // within its arch group
    final int maxJobs;
    final AtomicInteger active = new AtomicInteger();
    final Bulkhead<Object> bulkhead;
    final CircuitBreaker<Object> breaker;

    Member(
        Backend backend,
        int index,
        int maxJobs,
        Bulkhead<Object> bulkhead,
        CircuitBreaker<Object> breaker) {
      this.backend = backend;
      this.index = index;
      this.maxJobs = maxJobs;
      this.bulkhead = bulkhead;
      this.breaker = breaker;
    }
  }

  /** One job on one backend; ends once. */
  static final class Lease extends OnceEndingLease {
    private final Member member;

    Lease(Member member) {
      this.member = member;
    }

    Backend backend() {
      return member.backend;
    }

    void recordSuccess() {
      if (tryEnd()) {
        member.active.decrementAndGet();
        member.bulkhead.releasePermit();
        member.breaker.recordSuccess();
      }
    }

    void recordFailure(Throwable cause) {
      if (tryEnd()) {
        member.active.decrementAndGet();
        member.bulkhead.releasePermit();
        member.breaker.recordException(cause);
      }
    }
  }
}
