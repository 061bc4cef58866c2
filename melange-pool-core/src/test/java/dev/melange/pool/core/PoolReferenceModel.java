package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.NoBackendAvailableException.Reason;
import dev.melange.pool.Selector;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The pool's contract written as plainly as possible, for {@link PoolModelPropertiesTest} to hold
 * the real pool against: single-threaded, no caching, no clever encodings. It knows nothing of the
 * implementation; where the two disagree, one of them is wrong and the test says which step showed
 * it.
 *
 * <p>The contract it encodes:
 *
 * <ul>
 *   <li>Selection: the backends with exactly the arch whose labels match; skip those at maxJobs and
 *       those whose circuit refuses; the lowest {@code active / maxJobs} wins, a tie goes to the
 *       earliest in configuration (then insertion) order.
 *   <li>Circuit: consecutive failures open it at the threshold; a success resets the count. Open,
 *       it refuses until {@code recoveryTimeout} has passed, then admits one trial at a time. The
 *       trial's success closes it, its failure re-opens it for a full timeout, its end without an
 *       outcome frees the trial. Every opening and closing starts a new generation, and outcomes of
 *       leases from an earlier generation change nothing.
 *   <li>A lease ends once; a removed backend's leases count against that incarnation only.
 * </ul>
 */
final class PoolReferenceModel {

  /** How a lease ends. */
  enum Outcome {
    SUCCESS,
    FAILURE,
    NO_OUTCOME
  }

  /** Paths through the contract, recorded so the property can show it reached each of them. */
  enum Event {
    SKIPPED_FULL,
    SKIPPED_BY_CIRCUIT,
    CIRCUIT_OPENED,
    TRIAL_GRANTED,
    TRIAL_SUCCEEDED,
    TRIAL_FAILED,
    TRIAL_FREED,
    STALE_OUTCOME_IGNORED,
    REMOVED_WITH_LEASES_OUT,
    READDED
  }

  /** One incarnation of a backend: added once, removed at most once. */
  static final class Incarnation {
    final Backend backend;
    final int maxJobs;
    int active;
    int failures;
    boolean hasFailed;
    boolean open;
    long openedAtNanos;
    boolean trialOut;
    int generation;

    Incarnation(Backend backend, int maxJobs) {
      this.backend = backend;
      this.maxJobs = maxJobs;
    }

    boolean admits(long nowNanos, long recoveryNanos) {
      // Differences only, as with nanoTime: the ticker may wrap around.
      return !open || (!trialOut && nowNanos - openedAtNanos >= recoveryNanos);
    }

    @Override
    public String toString() {
      return backend.addr()
          + "("
          + active
          + "/"
          + maxJobs
          + ", failures "
          + failures
          + (open ? ", open since " + openedAtNanos + (trialOut ? ", trial out" : "") : "")
          + ", generation "
          + generation
          + ")";
    }
  }

  /**
   * A lease as the model sees it: which incarnation, granted in which generation, a trial or not.
   */
  static final class ModelLease {
    final Incarnation incarnation;
    final int generation;
    final boolean trial;
    boolean ended;

    ModelLease(Incarnation incarnation, int generation, boolean trial) {
      this.incarnation = incarnation;
      this.generation = generation;
      this.trial = trial;
    }
  }

  private final int defaultMaxJobs;
  private final int failureThreshold;
  private final long recoveryNanos;
  private final List<Incarnation> current = new ArrayList<>();
  private final Set<String> everAdded = new HashSet<>();
  private final Set<Event> seen = EnumSet.noneOf(Event.class);

  PoolReferenceModel(int defaultMaxJobs, int failureThreshold, long recoveryNanos) {
    this.defaultMaxJobs = defaultMaxJobs;
    this.failureThreshold = failureThreshold;
    this.recoveryNanos = recoveryNanos;
  }

  /** The paths taken so far. */
  Set<Event> seen() {
    return seen;
  }

  /** The incarnations in the pool now, in configuration then insertion order. */
  List<Incarnation> current() {
    return current;
  }

  @Nullable Incarnation find(String addr) {
    for (Incarnation incarnation : current) {
      if (incarnation.backend.addr().equals(addr)) {
        return incarnation;
      }
    }
    return null;
  }

  void add(Backend backend) {
    int maxJobs = backend.maxJobs() == 0 ? defaultMaxJobs : backend.maxJobs();
    if (!everAdded.add(backend.addr())) {
      seen.add(Event.READDED);
    }
    current.add(new Incarnation(backend, maxJobs));
  }

  void remove(Incarnation incarnation) {
    if (incarnation.active > 0) {
      seen.add(Event.REMOVED_WITH_LEASES_OUT);
    }
    current.remove(incarnation);
  }

  List<Backend> backends() {
    List<Backend> backends = new ArrayList<>();
    current.forEach(incarnation -> backends.add(incarnation.backend));
    return backends;
  }

  List<Backend> backends(String arch) {
    List<Backend> backends = new ArrayList<>();
    for (Incarnation incarnation : current) {
      if (incarnation.backend.arch().equals(arch)) {
        backends.add(incarnation.backend);
      }
    }
    return backends;
  }

  List<String> architectures() {
    LinkedHashSet<String> archs = new LinkedHashSet<>();
    current.forEach(incarnation -> archs.add(incarnation.backend.arch()));
    return List.copyOf(archs);
  }

  int totalCapacity() {
    return current.stream().mapToInt(incarnation -> incarnation.maxJobs).sum();
  }

  /** The backend a lease should be granted on now, or null if none can be had. */
  @Nullable Incarnation choose(String arch, Selector selector, long nowNanos) {
    Incarnation best = null;
    for (Incarnation candidate : current) {
      if (!candidate.backend.arch().equals(arch) || !selector.matches(candidate.backend.labels())) {
        continue;
      }
      if (candidate.active >= candidate.maxJobs) {
        seen.add(Event.SKIPPED_FULL);
        continue;
      }
      if (!candidate.admits(nowNanos, recoveryNanos)) {
        seen.add(Event.SKIPPED_BY_CIRCUIT);
        continue;
      }
      // Strictly lower load wins, so a tie stays with the earlier one.
      if (best == null
          || (long) candidate.active * best.maxJobs < (long) best.active * candidate.maxJobs) {
        best = candidate;
      }
    }
    return best;
  }

  /** Why an acquire that cannot be served now fails; call only when {@link #choose} gave null. */
  Reason refusal(String arch, Selector selector) {
    boolean archKnown = false;
    for (Incarnation candidate : current) {
      if (candidate.backend.arch().equals(arch)) {
        archKnown = true;
        if (selector.matches(candidate.backend.labels())) {
          return Reason.NO_CAPACITY;
        }
      }
    }
    return archKnown ? Reason.NO_MATCHING_BACKEND : Reason.UNKNOWN_ARCH;
  }

  ModelLease grant(Incarnation incarnation) {
    incarnation.active++;
    boolean trial = incarnation.open;
    if (trial) {
      incarnation.trialOut = true;
      seen.add(Event.TRIAL_GRANTED);
    }
    return new ModelLease(incarnation, incarnation.generation, trial);
  }

  /** Ends a lease; does nothing if it has ended already. */
  void end(ModelLease lease, Outcome outcome, long nowNanos) {
    if (lease.ended) {
      return;
    }
    lease.ended = true;
    Incarnation incarnation = lease.incarnation;
    incarnation.active--;
    if (lease.generation != incarnation.generation) {
      if (outcome != Outcome.NO_OUTCOME) {
        seen.add(Event.STALE_OUTCOME_IGNORED);
      }
      return;
    }
    switch (outcome) {
      case SUCCESS -> {
        incarnation.failures = 0;
        if (lease.trial) {
          seen.add(Event.TRIAL_SUCCEEDED);
          incarnation.open = false;
          incarnation.trialOut = false;
          incarnation.generation++;
        }
      }
      case FAILURE -> {
        incarnation.failures++;
        incarnation.hasFailed = true;
        if (lease.trial || incarnation.failures >= failureThreshold) {
          seen.add(lease.trial ? Event.TRIAL_FAILED : Event.CIRCUIT_OPENED);
          incarnation.open = true;
          incarnation.openedAtNanos = nowNanos;
          incarnation.trialOut = false;
          incarnation.generation++;
        }
      }
      case NO_OUTCOME -> {
        if (lease.trial) {
          seen.add(Event.TRIAL_FREED);
          incarnation.trialOut = false;
        }
      }
    }
  }
}
