package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.breaker.MeasuredCircuitBreaker;
import dev.melange.pool.core.config.KnownArchs;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.spi.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The pool's status as operators read it: one {@link BackendStatus} per backend, from its slot's
 * counter, breaker, health, placement and limits, read without a lock (each field as it is at that
 * moment). Times the pool counts on its ticker are given as instants of the wall clock.
 */
final class StatusReport {
  private StatusReport() {}

  static List<BackendStatus> of(Slot[] slots, Ticker ticker) {
    long nowNanos = ticker.read();
    Instant now = Instant.now();
    List<BackendStatus> statuses = new ArrayList<>(slots.length);
    for (Slot slot : slots) {
      CircuitBreaker.Snapshot circuit = slot.breaker.snapshot();
      Instant lastFailure = null;
      if (circuit.lastFailureNanos().isPresent()) {
        lastFailure = now.minusNanos(nowNanos - circuit.lastFailureNanos().getAsLong());
      }
      Backend backend = slot.backend;
      LatencyEstimate latency = slot.latency;
      HealthService.Subscription health = slot.health.subscription();
      statuses.add(
          new BackendStatus(
              backend.addr(),
              slot.arch,
              backend.labels(),
              slot.configuredMaxJobs(),
              Math.min(slot.limit(), slot.maxJobs),
              slot.active(),
              backend.weight(),
              backend.backup(),
              circuit.failures(),
              circuit.state() != CircuitBreaker.State.CLOSED,
              lastFailure,
              latency == null ? null : Duration.ofNanos(latency.nanos()),
              slot.adminState(),
              circuit.state(),
              slot.health.effective(),
              health == null ? null : health.monitor.lastProbe(),
              health == null ? null : health.monitor.lastResult(),
              slot.breaker instanceof MeasuredCircuitBreaker measured ? measured.callStats() : null,
              slot.rateLimited() == null ? null : slot.rateLimited().stats(),
              slot.adaptive() == null ? null : slot.adaptive().limit(),
              health == null ? null : health.monitor.daemon(),
              slot.emulatedArchs(),
              KnownArchs.problem(slot.problem(), backend)));
    }
    return List.copyOf(statuses);
  }
}
