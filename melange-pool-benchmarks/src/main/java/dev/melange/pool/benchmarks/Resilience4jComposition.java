package dev.melange.pool.benchmarks;

import dev.melange.pool.Backend;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What a Java team would write today instead of melange-pool, with Resilience4j 2.3.0: per backend
 * one semaphore {@link Bulkhead} (as many concurrent calls as the backend's {@code maxJobs}, no
 * waiting) and one count-based {@link CircuitBreaker} (Resilience4j's defaults, open for 30 s like
 * melange-server's recovery timeout), plus a least-loaded scan over them.
 *
 * <p>Acquire: look up the backends of the arch (grouped once, at construction), scan them for the
 * lowest {@code active / maxJobs} with {@code active = maxJobs - availableConcurrentCalls},
 * checking the labels only of a backend that would win and stopping at an idle one (nothing beats
 * zero, ties go to the earliest); then ask the chosen backend's circuit breaker for a permission
 * and its bulkhead for a permit. A refused circuit excludes that backend from the rescans of this
 * call (the breaker's state is deliberately not read in the scan: Resilience4j moves from open to
 * half-open only inside {@code tryAcquirePermission()}); a refused bulkhead, which means the
 * backend filled up since the scan, gives the circuit permission back and rescans. The lease
 * records the start time, because {@code onSuccess} and {@code onError} want the call's duration.
 *
 * <p>Defaults kept, as most users keep them: the bulkhead's fair semaphore, and the breaker's
 * sliding window of 100 calls with its default {@code SYNCHRONIZED} strategy ({@code LOCK_FREE}
 * exists, and a team tuning for throughput might pick it).
 *
 * <p>Release: the lease ends once; it tells the breaker the outcome and duration and frees the
 * bulkhead permit. Never more than {@code maxJobs} leases per backend: the bulkhead's semaphore
 * guarantees it. Thread-safe.
 */
final class Resilience4jComposition {
  static final int DEFAULT_MAX_JOBS = 4;

  private final Map<String, Member[]> membersByArch;
  private final List<Member> members = new ArrayList<>();

  Resilience4jComposition(List<Backend> config) {
    CircuitBreakerConfig breakerConfig =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .waitDurationInOpenState(Duration.ofSeconds(30))
            .build();
    Map<String, List<Member>> byArch = new LinkedHashMap<>();
    for (Backend backend : config) {
      int maxJobs = backend.maxJobs() == 0 ? DEFAULT_MAX_JOBS : backend.maxJobs();
      BulkheadConfig bulkheadConfig =
          BulkheadConfig.custom()
              .maxConcurrentCalls(maxJobs)
              .maxWaitDuration(Duration.ZERO)
              .build();
      List<Member> group = byArch.computeIfAbsent(backend.arch(), arch -> new ArrayList<>());
      Member member =
          new Member(
              backend,
              group.size(),
              maxJobs,
              Bulkhead.of(backend.addr(), bulkheadConfig),
              CircuitBreaker.of(backend.addr(), breakerConfig));
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
      if (!member.breaker.tryAcquirePermission()) {
        if (refused == null) {
          refused = new BitSet(group.length);
        }
        refused.set(member.index);
        continue;
      }
      if (!member.bulkhead.tryAcquirePermission()) {
        member.breaker.releasePermission();
        continue;
      }
      return new Lease(member, System.nanoTime());
    }
  }

  private static @Nullable Member leastLoaded(
      Member[] group, Map<String, String> selector, @Nullable BitSet refused) {
    Member best = null;
    long bestActive = 0;
    long bestMax = 1;
    for (Member member : group) {
      int max = member.maxJobs;
      int active = max - member.bulkhead.getMetrics().getAvailableConcurrentCalls();
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
  CircuitBreaker circuitBreaker(int index) {
    return members.get(index).breaker;
  }

  /** Permits held on one backend's bulkhead, by configuration index; for tests. */
  int activeJobs(int index) {
    Member member = members.get(index);
    return member.maxJobs - member.bulkhead.getMetrics().getAvailableConcurrentCalls();
  }

  /** Permits held on all bulkheads together. */
  int activeJobs() {
    int sum = 0;
    for (Member member : members) {
      sum += member.maxJobs - member.bulkhead.getMetrics().getAvailableConcurrentCalls();
    }
    return sum;
  }

  private static final class Member {
    final Backend backend;
    final int index; // within its arch group
    final int maxJobs;
    final Bulkhead bulkhead;
    final CircuitBreaker breaker;

    Member(Backend backend, int index, int maxJobs, Bulkhead bulkhead, CircuitBreaker breaker) {
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
    private final long startNanos;

    Lease(Member member, long startNanos) {
      this.member = member;
      this.startNanos = startNanos;
    }

    Backend backend() {
      return member.backend;
    }

    void recordSuccess() {
      if (tryEnd()) {
        long duration = System.nanoTime() - startNanos;
        member.bulkhead.onComplete();
        member.breaker.onSuccess(duration, TimeUnit.NANOSECONDS);
      }
    }

    void recordFailure(Throwable cause) {
      if (tryEnd()) {
        long duration = System.nanoTime() - startNanos;
        member.bulkhead.onComplete();
        member.breaker.onError(duration, TimeUnit.NANOSECONDS, cause);
      }
    }
  }
}
