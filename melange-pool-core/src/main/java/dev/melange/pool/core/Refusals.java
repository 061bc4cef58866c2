package dev.melange.pool.core;

import dev.melange.pool.AdminState;
import dev.melange.pool.Health;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.NoBackendAvailableException.Reason;
import dev.melange.pool.Selector;
import dev.melange.pool.core.ArchGroup.Matches;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.spi.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Why a request gets no lease, in the words operators read: no backend of the arch, none matching
 * the selector, what holds the candidates out when a wait runs out, or a closed pool. Cold: only a
 * request that fails comes here.
 */
final class Refusals {
  private Refusals() {}

  /** No backend of {@code arch}, or none of it matching {@code selector}. */
  static NoBackendAvailableException noCandidates(
      Topology current, String arch, Selector selector) {
    if (current.group(arch) == null) {
      return new NoBackendAvailableException(
          Reason.UNKNOWN_ARCH,
          "no available backend: no backend has arch \""
              + arch
              + "\" (architectures: "
              + String.join(", ", current.architectures)
              + ")");
    }
    return new NoBackendAvailableException(
        Reason.NO_MATCHING_BACKEND,
        "no available backend: no " + arch + " backend matches selector \"" + selector + "\"");
  }

  /**
   * The wait of {@code waiter} ran out: says what holds its candidates out now. When that is only
   * capacity and open circuits, melange-server's words; else each reason with its count, so that a
   * cordoned, draining or unhealthy fleet is not reported as a busy one.
   */
  static NoBackendAvailableException noCapacity(
      Matches candidates, Waiter waiter, boolean failOpen) {
    Map<String, Integer> heldOut = new LinkedHashMap<>();
    int total = 0;
    for (CandidateList list :
        List.of(candidates.primaries, candidates.backups, candidates.emulated)) {
      for (Slot slot : list.slots) {
        heldOut.merge(whatHoldsOut(slot, failOpen), 1, Integer::sum);
        total++;
      }
    }
    String why;
    if (heldOut.keySet().stream().allMatch(MELANGE_HOLD_OUTS::contains)) {
      why = "all backends are at capacity or circuit-open";
    } else {
      List<String> counts = new ArrayList<>();
      heldOut.forEach((reason, count) -> counts.add(count + " " + reason));
      why = "of " + total + (total == 1 ? " backend, " : " backends, ") + String.join(", ", counts);
    }
    return new NoBackendAvailableException(
        Reason.NO_CAPACITY,
        "no available backend: "
            + why
            + " (arch "
            + waiter.arch
            + (waiter.selector.isEmpty() ? "" : ", selector \"" + waiter.selector + "\"")
            + ", waited "
            + GoDuration.format(Duration.ofNanos(waiter.timeoutNanos))
            + ")");
  }

  /** What melange-server's "at capacity or circuit-open" covers. */
  private static final Set<String> MELANGE_HOLD_OUTS = Set.of("at capacity", "circuit-open");

  /** Why a candidate takes no lease now, in an operator's words; the first reason that holds. */
  static String whatHoldsOut(Slot slot, boolean failOpen) {
    if (slot.isRetired()) {
      return "removed";
    }
    AdminState admin = slot.adminState();
    if (admin != AdminState.READY) {
      return admin == AdminState.DRAINING ? "draining" : "cordoned";
    }
    Health health = slot.health.effective();
    if (health == Health.UNKNOWN) {
      return "not yet probed";
    }
    if (health == Health.UNHEALTHY && !failOpen) {
      return "unhealthy (failOpen is off)";
    }
    if (!slot.breaker.isAdmitting()) {
      return slot.breaker.snapshot().state() == CircuitBreaker.State.CLOSED
          ? "out of rate-limit tokens"
          : "circuit-open";
    }
    if (slot.active() >= slot.limit()) {
      return "at capacity"; // healthy, or unhealthy while the pool fails open to it: full
    }
    // Room, and a circuit that admits: unhealthy, while a healthy candidate kept fail-open off.
    return health == Health.UNHEALTHY ? "unhealthy" : "at capacity";
  }

  static NoBackendAvailableException closed() {
    return new NoBackendAvailableException(
        Reason.POOL_CLOSED, "no available backend: the pool is closed");
  }
}
