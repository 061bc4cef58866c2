package dev.melange.pool.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.DaemonInfo;
import dev.melange.pool.Health;
import dev.melange.pool.Lease;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import dev.melange.pool.buildkit.server.MelangeServerApi;
import dev.melange.pool.examples.BuildPlan.Job;
import dev.melange.pool.examples.Farm.Machine;
import java.io.Console;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The build-farm demo: a few hundred package builds for x86_64 and aarch64 through a pool of five
 * simulated BuildKit daemons, while one daemon dies, another is drained, and the dead one comes
 * back.
 *
 * <pre>./mvnw -q -pl examples -am verify -Pdemo</pre>
 *
 * <p>The pool is built from {@code examples/backends.yaml}: no backend names its arch, the {@code
 * buildkit} health check learns it from each daemon over gRPC. The demo serves melange-server's
 * HTTP API over the pool while it runs, and drains through it, as an operator would.
 */
@Command(
    name = "build-farm-demo",
    description = "Routes package builds across simulated BuildKit daemons with melange-pool.")
public final class BuildFarmDemo implements Callable<Integer> {
  private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

  /** How the live view is shown. */
  enum View {
    AUTO,
    LIVE,
    PLAIN
  }

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "show this help and exit")
  boolean help;

  @Option(
      names = "--config",
      description = "the pool's configuration (default: ${DEFAULT-VALUE})",
      defaultValue = "backends.yaml")
  Path config = Path.of("backends.yaml");

  @Option(
      names = "--builds",
      description = "how many builds, in three waves (default: ${DEFAULT-VALUE})",
      defaultValue = "300")
  int builds = 300;

  @Option(
      names = "--failure-rate",
      description = "the share of builds a daemon fails, 0 to 1 (default: ${DEFAULT-VALUE})",
      defaultValue = "0.03")
  double failureRate = 0.03;

  @Option(
      names = "--fast",
      description = "builds take a quarter of the time: a quick run, for tests")
  boolean fast;

  @Option(
      names = "--view",
      description = "auto (live on a terminal), live or plain (default: ${DEFAULT-VALUE})",
      defaultValue = "auto")
  View view = View.AUTO;

  @Option(
      names = "--api-port",
      description =
          "the HTTP API's port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE})",
      defaultValue = "0")
  int apiPort;

  @Option(
      names = "--seed",
      description = "the build plan's random seed (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  long seed = 1;

  private PrintStream out = System.out;

  /** Where the pool's log goes, when the demo runs as a program. */
  private @Nullable Path log;

  /** Runs the demo; the exit code is 0 when every build was accounted for. */
  public static void main(String[] args) throws Exception {
    BuildFarmDemo demo = new BuildFarmDemo();
    Path log = Files.createTempFile("melange-pool-demo-", ".log");
    demo.log = log;
    // The pool's own log goes to a file: the terminal is the live view's. Set before anything logs.
    System.setProperty("org.slf4j.simpleLogger.logFile", log.toString());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    GRPC_LOG.setLevel(Level.SEVERE);
    int code =
        new CommandLine(demo)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setExecutionExceptionHandler(
                (e, command, parsed) -> {
                  command.getErr().println("Error: " + e.getMessage());
                  return 1;
                })
            .execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    if (failureRate < 0 || failureRate > 1) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--failure-rate must be between 0 and 1, was " + failureRate);
    }
    if (builds < 3) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--builds must be at least 3 (one per wave), was " + builds);
    }
    return run().accountedFor() ? 0 : 1;
  }

  /** Sends the output elsewhere (tests). */
  BuildFarmDemo output(PrintStream out) {
    this.out = out;
    return this;
  }

  /** What a run did, for its report and for tests. */
  record Result(
      int planned,
      int submitted,
      int built,
      int gaveUp,
      int retried,
      Map<String, Integer> builtByHost,
      Map<String, Integer> failedByHost,
      Map<String, Integer> emulatedByHost,
      int rebuilds,
      int keptAffinity,
      int movedFromDownBackend,
      int leasesStillOut,
      List<PoolEvent> events,
      Map<String, String> hosts) {

    /** Every build planned ended, built or given up, and every lease came back. */
    boolean accountedFor() {
      return submitted == planned
          && built + gaveUp == planned
          && builtByHost.values().stream().mapToInt(Integer::intValue).sum() == built
          && leasesStillOut == 0;
    }
  }

  Result run() throws Exception {
    Instant start = Instant.now();
    double timeScale = fast ? 0.25 : 1.0;
    BuildPlan plan = new BuildPlan(builds, 3, timeScale, seed);
    try (Farm farm = Farm.fromConfig(config, failureRate);
        BackendPool pool = startPool(farm);
        MelangeServerApi api =
            MelangeServerApi.builder(pool).listenAddress("127.0.0.1:" + apiPort).build().start();
        BuildScheduler scheduler =
            new BuildScheduler(
                pool, farm.daemonsByAddr(), Duration.ofMillis((long) (300 * timeScale)))) {
      boolean live = view == View.LIVE || (view == View.AUTO && onTerminal());
      FarmView screen =
          new FarmView(
              out,
              live,
              Duration.ofSeconds(fast ? 1 : 3),
              pool,
              scheduler,
              farm.machines(),
              plan.size(),
              start);
      out.printf(
          Locale.ROOT,
          "melange-pool build farm: %d builds of %d packages for %s on %d simulated BuildKit"
              + " daemons%n",
          plan.size(),
          BuildPlan.RECIPES.size(),
          String.join(" and ", BuildPlan.ARCHS),
          farm.machines().size());
      out.println("  pool:     " + config + " (archs learned over gRPC by the buildkit check)");
      out.println("  HTTP API: " + api.uri() + "  try, while it runs:");
      out.println("    curl -s " + api.uri().resolve("/api/v1/backends/status"));
      if (log != null) {
        out.println("  log:      " + log + " (the pool's own, with timestamps)");
      }
      out.println();

      Result result;
      ScheduledExecutorService ticker =
          Executors.newSingleThreadScheduledExecutor(daemonThreads("view"));
      try (EventLog events = new EventLog(pool)) {
        screen.say(
            "started "
                + farm.machines().size()
                + " BuildKit daemons on 127.0.0.1; the pool learned from each what it builds for:");
        for (BackendStatus status : pool.status()) {
          screen.say(
              describePlacement(
                  status, farm.hostsByAddr().getOrDefault(status.addr(), status.addr())));
        }
        ScheduledFuture<?> unused =
            ticker.scheduleAtFixedRate(screen::refresh, 0, live ? 200 : 250, TimeUnit.MILLISECONDS);
        tellTheStory(plan, pool, events, farm, api.uri(), scheduler, screen, timeScale);
        result = result(plan, pool, events, farm, scheduler);
      } finally {
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
      }
      screen.finish();
      new FarmReport(out, screen, result, scheduler, farm).print();
      return result;
    }
  }

  /** Starts the daemons, then the pool over them, and waits until it knows what each builds for. */
  private BackendPool startPool(Farm farm) throws InterruptedException {
    farm.start();
    BackendPool pool = BackendPool.fromYaml(config);
    try {
      awaitPlaced(pool, Duration.ofSeconds(30));
      return pool;
    } catch (RuntimeException | InterruptedException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * The story: three waves of builds; amd64-1's daemon dies in the first, arm64-2 is drained in the
   * second, amd64-1 comes back before the third. Each step waits for the pool's reaction.
   */
  private void tellTheStory(
      BuildPlan plan,
      BackendPool pool,
      EventLog events,
      Farm farm,
      URI api,
      BuildScheduler scheduler,
      FarmView screen,
      double timeScale)
      throws Exception {
    int total = plan.size();
    List<List<Job>> waves = plan.waves();
    Duration patience = Duration.ofSeconds(60);
    // About what the farm builds a second when all is well: the queue stays short until trouble.
    double perSecond = 14 / timeScale;
    ExecutorService feeder = Executors.newSingleThreadExecutor(daemonThreads("feeder"));
    try {
      feed(feeder, waves.get(0), perSecond, scheduler, screen, "WAVE 1");
      scheduler.awaitFinished(total / 5, patience.toSeconds(), TimeUnit.SECONDS);

      Machine dying = farm.machine("amd64-1");
      int mark = events.mark();
      dying.daemon().kill();
      screen.say(
          "KILL   amd64-1's daemon: its running builds fail, the scheduler retries them elsewhere");
      if (events.await(mark, healthTo(dying.addr(), Health.UNHEALTHY), patience)) {
        screen.say(
            "       the pool noticed: amd64-1 is unhealthy, its circuit "
                + circuitOf(pool, dying.addr())
                + "; x86_64 builds go to amd64-2, high-memory ones to the backup amd64-spare");
      } else {
        screen.say(
            "       the pool did not mark amd64-1 unhealthy within " + patience.toSeconds() + "s");
      }

      feed(feeder, waves.get(1), perSecond, scheduler, screen, "WAVE 2");
      scheduler.awaitFinished(total * 2 / 5, patience.toSeconds(), TimeUnit.SECONDS);

      Machine leaving = farm.machine("arm64-2");
      mark = events.mark();
      screen.say("DRAIN  arm64-2 through the HTTP API: " + drain(api, leaving.addr()));
      if (events.await(mark, drained(leaving.addr()), patience)) {
        leaving.daemon().kill();
        screen.say(
            "       arm64-2 finished its running builds and left the pool; its daemon stopped."
                + " aarch64 builds go to arm64-1, and to amd64-2 under emulation");
      } else {
        screen.say("       arm64-2 did not finish draining within " + patience.toSeconds() + "s");
      }

      scheduler.awaitFinished(total * 11 / 20, patience.toSeconds(), TimeUnit.SECONDS);
      mark = events.mark();
      dying.daemon().start();
      screen.say("START  amd64-1's daemon again, on the same port");
      if (events.await(mark, healthTo(dying.addr(), Health.HEALTHY), patience)) {
        boolean closed = canary(pool, dying, patience);
        screen.say(
            closed
                ? "       amd64-1 is healthy again; a trial build closes its circuit, slow start"
                    + " ramps up its slots"
                : "       amd64-1 is healthy again, but its trial builds failed: its circuit"
                    + " stays open");
      } else {
        screen.say("       the pool did not see amd64-1 back within " + patience.toSeconds() + "s");
      }

      feed(feeder, waves.get(2), perSecond, scheduler, screen, "WAVE 3");
      if (!scheduler.awaitFinished(total, 2 * patience.toSeconds(), TimeUnit.SECONDS)) {
        screen.say("       gave up waiting for the last builds");
      }
    } finally {
      feeder.shutdownNow();
    }
  }

  /**
   * What a build service does for a daemon that came back: a small canary build on it, as soon as
   * its circuit lets a trial through (its {@code recoveryTimeout} after it opened; the acquire
   * waits for that), so that the circuit closes now rather than by chance within the next wave.
   * Tried up to three times; returns whether one succeeded.
   */
  private static boolean canary(BackendPool pool, Machine machine, Duration patience)
      throws InterruptedException {
    String arch = "x86_64";
    Selector onIt = Selector.parse("host=" + machine.host());
    for (int attempt = 0; attempt < 3; attempt++) {
      try (Lease trial = pool.acquire(arch, onIt, patience)) {
        try {
          machine.daemon().build(arch, Duration.ofMillis(100));
          trial.recordSuccess();
          return true;
        } catch (SimulatedBuildKitd.BuildFailedException e) {
          trial.recordFailure(e);
        }
      } catch (NoBackendAvailableException e) {
        return false;
      }
    }
    return false;
  }

  /** Queues a wave's builds at a steady pace, as commits land, while the story goes on. */
  private static void feed(
      ExecutorService feeder,
      List<Job> wave,
      double perSecond,
      BuildScheduler scheduler,
      FarmView screen,
      String name) {
    long highMemory = wave.stream().filter(job -> job.recipe().highMemory()).count();
    screen.say(
        String.format(
            Locale.ROOT,
            "%-6s %d builds arriving over %.0fs (%d of them need tier=high-memory)",
            name,
            wave.size(),
            wave.size() / perSecond,
            highMemory));
    long pause = (long) (1e9 / perSecond);
    feeder.execute(
        () -> {
          try {
            for (Job job : wave) {
              scheduler.submit(job);
              TimeUnit.NANOSECONDS.sleep(pause);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  /** Threads that do not keep the JVM alive, named for what they do. */
  static ThreadFactory daemonThreads(String name) {
    return task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** POSTs the drain to the HTTP API, as {@code curl} or the {@code melange-pool} CLI would. */
  private static String drain(URI api, String addr) throws Exception {
    String body = new ObjectMapper().writeValueAsString(Map.of("pattern", addr));
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(api.resolve("/api/v1/backends/drain"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException(
          "POST /api/v1/backends/drain answered " + response.statusCode() + ": " + response.body());
    }
    return "POST /api/v1/backends/drain " + body + " -> " + response.statusCode();
  }

  private static String circuitOf(BackendPool pool, String addr) {
    return pool.status().stream()
        .filter(status -> status.addr().equals(addr))
        .map(status -> FarmView.lower(status.circuitState()))
        .findFirst()
        .orElse("gone");
  }

  private static Predicate<PoolEvent> healthTo(String addr, Health health) {
    return event ->
        event instanceof PoolEvent.HealthChanged changed
            && changed.addr().equals(addr)
            && changed.to() == health;
  }

  private static Predicate<PoolEvent> drained(String addr) {
    return event ->
        event instanceof PoolEvent.BackendDrained drained && drained.addr().equals(addr);
  }

  /** Waits until the pool knows every backend's arch and health. */
  private static void awaitPlaced(BackendPool pool, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!pool.status().stream()
        .allMatch(status -> !status.arch().isEmpty() && status.health() == Health.HEALTHY)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the pool did not learn every daemon's arch within " + timeout.toSeconds() + "s");
      }
      Thread.sleep(50);
    }
  }

  private static String describePlacement(BackendStatus status, String host) {
    DaemonInfo daemon = status.daemon();
    String platforms = daemon == null ? "?" : String.join(", ", daemon.platforms());
    String version = daemon == null || daemon.version() == null ? "" : " " + daemon.version();
    return String.format(
        Locale.ROOT,
        "      %-12s BuildKit%s [%s] -> %s%s",
        host,
        version,
        platforms,
        FarmView.archs(status),
        status.backup() ? " (backup)" : "");
  }

  private static Result result(
      BuildPlan plan, BackendPool pool, EventLog events, Farm farm, BuildScheduler scheduler) {
    Map<String, Integer> built = new LinkedHashMap<>();
    Map<String, Integer> failed = new LinkedHashMap<>();
    Map<String, Integer> emulated = new LinkedHashMap<>();
    for (Machine machine : farm.machines()) {
      BuildScheduler.Tally tally = scheduler.tally(machine.addr());
      built.put(machine.host(), tally.built.get());
      failed.put(machine.host(), tally.failed.get());
      emulated.put(machine.host(), tally.emulated.get());
    }
    int leasesOut = pool.status().stream().mapToInt(BackendStatus::activeJobs).sum();
    return new Result(
        plan.size(),
        scheduler.submitted(),
        scheduler.built(),
        scheduler.gaveUp(),
        scheduler.retried(),
        built,
        failed,
        emulated,
        scheduler.rebuilds(),
        scheduler.keptAffinity(),
        scheduler.movedFromDownBackend(),
        leasesOut,
        new ArrayList<>(events.events()),
        farm.hostsByAddr());
  }

  /**
   * Whether stdout is a terminal. Before JDK 22, {@code System.console()} is null unless it is;
   * from JDK 22 on it is not null for redirected output either, and {@code isTerminal()} tells.
   */
  @SuppressWarnings("SystemConsoleNull") // handled: isTerminal() where it exists
  private static boolean onTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // before JDK 22, a console is a terminal
    }
  }
}
