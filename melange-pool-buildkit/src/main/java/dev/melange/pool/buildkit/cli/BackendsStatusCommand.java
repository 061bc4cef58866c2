package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code backends status}: one line per backend of what the status API reports. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show each backend's state: admin state, health, circuit, jobs (active/limit now),",
      "consecutive failures, last failure and last health-check result."
    })
final class BackendsStatusCommand implements Callable<Integer> {
  private static final String NEVER = "0001-01-01T00:00:00Z";

  @Mixin ServerConnection connection = new ServerConnection();

  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  @Override
  public Integer call() throws CliException, InterruptedException {
    JsonNode backends = connection.client().status().path("backends");
    if (backends.isEmpty()) {
      spec.commandLine().getOut().println("No backends found");
      return 0;
    }
    Table table =
        new Table()
            .row(
                "ADDR",
                "ARCH",
                "STATE",
                "HEALTH",
                "CIRCUIT",
                "ACTIVE/MAX",
                "FAILURES",
                "LAST FAILURE",
                "PROBE");
    for (JsonNode backend : backends) {
      JsonNode limit = backend.path("effectiveMaxJobs");
      table.row(
          MelangeOutput.printable(backend.path("addr")),
          MelangeOutput.printable(backend.path("arch")),
          text(backend.path("adminState")),
          text(backend.path("health")),
          text(backend.path("circuitState")),
          backend.path("activeJobs").asInt()
              + "/"
              + (limit.isNumber() ? limit.asInt() : backend.path("maxJobs").asInt()),
          String.valueOf(backend.path("failures").asInt()),
          NEVER.equals(backend.path("lastFailure").asText())
              ? "-"
              : text(backend.path("lastFailure")),
          text(backend.path("lastProbeResult")));
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }

  /** The value, or {@code -} when absent or null. */
  private static String text(JsonNode value) {
    return value.isMissingNode() || value.isNull() ? "-" : MelangeOutput.printable(value);
  }
}
