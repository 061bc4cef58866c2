package dev.melange.pool.examples;

import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.PoolEvent;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the demo shows while it runs: a progress bar and a status table per backend. On a terminal
 * it redraws them in place, with the story's steps scrolling above; anywhere else (CI, a pipe) it
 * prints them as plain lines every few seconds.
 */
final class FarmView {
  private static final String CLEAR_TO_END = "\033[J";

  private final PrintStream out;
  private final boolean live;
  private final Duration plainEvery;
  private final BackendPool pool;
  private final BuildScheduler scheduler;
  private final List<Farm.Machine> machines;
  private final int total;
  private final Instant start;

  private int drawnLines; // guarded by this: lines of the live frame on screen
  private long lastPlain; // guarded by this

  FarmView(
      PrintStream out,
      boolean live,
      Duration plainEvery,
      BackendPool pool,
      BuildScheduler scheduler,
      List<Farm.Machine> machines,
      int total,
      Instant start) {
    this.out = out;
    this.live = live;
    this.plainEvery = plainEvery;
    this.pool = pool;
    this.scheduler = scheduler;
    this.machines = List.copyOf(machines);
    this.total = total;
    this.start = start;
    this.lastPlain = System.nanoTime();
  }

  /** A step of the story: scrolls above the live frame, or is printed as it is. */
  synchronized void say(String line) {
    eraseFrame();
    out.println(stamp(Instant.now()) + "  " + line);
    drawFrame();
  }

  /** Redraws the live frame, or prints a plain one when it is time. */
  synchronized void refresh() {
    if (live) {
      eraseFrame();
      drawFrame();
    } else if (System.nanoTime() - lastPlain >= plainEvery.toNanos()) {
      lastPlain = System.nanoTime();
      for (String line : frame()) {
        out.println(line);
      }
    }
  }

  /** Leaves the last frame on screen (or prints it) before the report. */
  synchronized void finish() {
    if (live) {
      eraseFrame();
    }
    for (String line : frame()) {
      out.println(line);
    }
    drawnLines = 0;
  }

  private void eraseFrame() {
    if (live && drawnLines > 0) {
      out.print("\033[" + drawnLines + "F" + CLEAR_TO_END); // up to the frame's first line, clear
    }
    drawnLines = 0;
  }

  private void drawFrame() {
    if (!live) {
      return;
    }
    List<String> frame = frame();
    for (String line : frame) {
      out.println(line);
    }
    out.flush();
    drawnLines = frame.size();
  }

  /** The frame: under 80 columns, so that no line wraps and redrawing in place stays right. */
  private List<String> frame() {
    List<String> lines = new ArrayList<>();
    lines.add(progress());
    lines.add(
        String.format(
            Locale.ROOT,
            ROW,
            "backend",
            "arch",
            "admin",
            "health",
            "circuit",
            "jobs",
            "done",
            "fail"));
    Map<String, BackendStatus> statuses = new HashMap<>();
    for (BackendStatus status : pool.status()) {
      statuses.put(status.addr(), status);
    }
    for (Farm.Machine machine : machines) {
      BackendStatus status = statuses.get(machine.addr());
      BuildScheduler.Tally tally = scheduler.tally(machine.addr());
      lines.add(
          status == null
              ? String.format(
                  Locale.ROOT,
                  ROW,
                  machine.host(),
                  "",
                  "removed",
                  "",
                  "",
                  "",
                  tally.built.get(),
                  tally.failed.get())
              : String.format(
                  Locale.ROOT,
                  ROW,
                  machine.host(),
                  archs(status),
                  lower(status.adminState()),
                  lower(status.health()),
                  lower(status.circuitState()),
                  status.activeJobs()
                      + "/"
                      + status.effectiveMaxJobs()
                      + (status.backup() ? " bk" : ""),
                  tally.built.get(),
                  tally.failed.get()));
    }
    return lines;
  }

  private static final String ROW = "  %-11s %-15s %-8s %-9s %-9s %-7s %4s %4s";

  private String progress() {
    int finished = scheduler.finished();
    int width = 30;
    int filled = total == 0 ? width : finished * width / total;
    return String.format(
        Locale.ROOT,
        "%s [%s%s] %d/%d done, %d in flight, %d retries",
        stamp(Instant.now()),
        "#".repeat(filled),
        ".".repeat(width - filled),
        finished,
        total,
        scheduler.submitted() - finished,
        scheduler.retried());
  }

  /** {@code x86_64 +aarch64}: the native arch, and the emulated ones it takes. */
  static String archs(BackendStatus status) {
    String arch = status.arch().isEmpty() ? "?" : status.arch();
    return status.emulatedArchs().isEmpty()
        ? arch
        : arch + " +" + String.join("+", status.emulatedArchs());
  }

  static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** {@code +12.3s}: how far into the demo. */
  String stamp(Instant at) {
    double seconds = Duration.between(start, at).toMillis() / 1000.0;
    return String.format(Locale.ROOT, "%+6.1fs", seconds);
  }

  /** An event as a line of the report. */
  String describe(PoolEvent event, Map<String, String> hosts) {
    return stamp(event.at()) + "  " + EventText.of(event, hosts);
  }
}
