package dev.melange.pool.examples;

import dev.melange.pool.PoolEvent;
import java.util.Map;

/** A pool event in words, the backend named by its host. */
final class EventText {
  private EventText() {}

  static String of(PoolEvent event, Map<String, String> hosts) {
    if (event instanceof PoolEvent.ArchDiscovered e) {
      return row(e.addr(), hosts)
          + "arch learned from the daemon: "
          + e.arch()
          + (e.emulatedArchs().isEmpty()
              ? ""
              : ", emulates " + String.join(", ", e.emulatedArchs()));
    } else if (event instanceof PoolEvent.ArchMismatch e) {
      return row(e.addr(), hosts)
          + "configured as "
          + e.configured()
          + " but the daemon is "
          + e.platform();
    } else if (event instanceof PoolEvent.HealthChanged e) {
      return row(e.addr(), hosts)
          + "health "
          + FarmView.lower(e.from())
          + " -> "
          + FarmView.lower(e.to());
    } else if (event instanceof PoolEvent.CircuitOpened e) {
      return row(e.addr(), hosts) + "circuit opened: no new builds until a trial";
    } else if (event instanceof PoolEvent.CircuitHalfOpened e) {
      return row(e.addr(), hosts) + "circuit half-open: one trial build";
    } else if (event instanceof PoolEvent.CircuitClosed e) {
      return row(e.addr(), hosts) + "circuit closed: builds flow again";
    } else if (event instanceof PoolEvent.AdminStateChanged e) {
      return row(e.addr(), hosts) + FarmView.lower(e.from()) + " -> " + FarmView.lower(e.to());
    } else if (event instanceof PoolEvent.BackendDrained e) {
      return row(e.addr(), hosts) + "drained: its last build ended, it left the pool";
    } else if (event instanceof PoolEvent.BackendAdded e) {
      return row(e.addr(), hosts) + "added";
    } else if (event instanceof PoolEvent.BackendRemoved e) {
      return row(e.addr(), hosts) + "removed";
    } else if (event instanceof PoolEvent.LimitChanged e) {
      return row(e.addr(), hosts) + "adaptive limit " + e.from() + " -> " + e.to();
    } else if (event instanceof PoolEvent.RateChanged e) {
      return row(e.addr(), hosts) + "rate limit " + e.from() + "/s -> " + e.to() + "/s";
    } else if (event instanceof PoolEvent.FailOpenEntered e) {
      return String.format(
          "%-12s fail-open: every backend unhealthy, routing by circuit", e.arch());
    } else if (event instanceof PoolEvent.FailOpenExited e) {
      return String.format("%-12s fail-open ended", e.arch());
    } else if (event instanceof PoolEvent.AllDown e) {
      return String.format("%-12s every backend down", e.arch());
    } else if (event instanceof PoolEvent.Recovered e) {
      return String.format("%-12s a backend is up again", e.arch());
    }
    return event.toString();
  }

  private static String row(String addr, Map<String, String> hosts) {
    return String.format("%-12s ", hosts.getOrDefault(addr, addr));
  }
}
