package dev.melange.pool.examples;

import dev.melange.pool.PoolEvent;
import dev.melange.pool.examples.BuildFarmDemo.Result;
import dev.melange.pool.examples.Farm.Machine;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The demo's last words: builds per backend, waits, affinity, the events in order. */
final class FarmReport {
  private final PrintStream out;
  private final FarmView screen;
  private final Result result;
  private final BuildScheduler scheduler;
  private final Farm farm;

  FarmReport(PrintStream out, FarmView screen, Result result, BuildScheduler scheduler, Farm farm) {
    this.out = out;
    this.screen = screen;
    this.result = result;
    this.scheduler = scheduler;
    this.farm = farm;
  }

  void print() {
    out.println();
    out.println("Summary");
    String format = "  %-12s %7s %9s %7s %10s %10s%n";
    out.printf(
        Locale.ROOT, format, "backend", "built", "emulated", "failed", "p50 wait", "p99 wait");
    List<Long> allWaits = new ArrayList<>();
    for (Machine machine : farm.machines()) {
      BuildScheduler.Tally tally = scheduler.tally(machine.addr());
      List<Long> waits;
      synchronized (tally.waitNanos) {
        waits = new ArrayList<>(tally.waitNanos);
      }
      allWaits.addAll(waits);
      out.printf(
          Locale.ROOT,
          format,
          machine.host(),
          tally.built.get(),
          tally.emulated.get(),
          tally.failed.get(),
          percentile(waits, 50),
          percentile(waits, 99));
    }
    out.printf(
        Locale.ROOT,
        format,
        "all",
        result.built(),
        result.emulatedByHost().values().stream().mapToInt(Integer::intValue).sum(),
        result.failedByHost().values().stream().mapToInt(Integer::intValue).sum(),
        percentile(allWaits, 50),
        percentile(allWaits, 99));
    out.println();
    out.printf(
        Locale.ROOT,
        "  builds:   %d planned, %d built, %d given up after %d tries; %d tries were retries of a"
            + " build a daemon failed%n",
        result.planned(),
        result.built(),
        result.gaveUp(),
        BuildScheduler.MAX_ATTEMPTS,
        result.retried());
    for (String reason : scheduler.gaveUpReasons()) {
      out.println("            given up: " + reason);
    }
    out.printf(
        Locale.ROOT,
        "  affinity: %d of %d rebuilds ran where the package had built last (%s), its cache warm;"
            + " %d moved because that daemon was down or gone%n",
        result.keptAffinity(),
        result.rebuilds(),
        result.rebuilds() == 0
            ? "-"
            : String.format(
                Locale.ROOT, "%.0f%%", 100.0 * result.keptAffinity() / result.rebuilds()),
        result.movedFromDownBackend());
    out.println();
    out.println("Events, in order");
    for (PoolEvent event : result.events()) {
      out.println("  " + screen.describe(event, result.hosts()));
    }
    out.println();
    out.println(
        result.accountedFor()
            ? "Every build accounted for: "
                + result.built()
                + " built + "
                + result.gaveUp()
                + " given up = "
                + result.planned()
                + " planned, no lease left out."
            : "NOT every build accounted for: " + result);
  }

  /** The percentile of the waits, as {@code 0.12s}; {@code -} without any. */
  private static String percentile(List<Long> nanos, int percentile) {
    if (nanos.isEmpty()) {
      return "-";
    }
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
    return String.format(Locale.ROOT, "%.2fs", sorted.get(Math.max(0, index)) / 1e9);
  }
}
