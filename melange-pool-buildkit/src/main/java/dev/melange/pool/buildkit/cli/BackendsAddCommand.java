package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code backends add}: melange's {@code remote backends add}, and {@code --max-jobs}. */
@Command(
    name = "add",
    mixinStandardHelpOptions = true,
    description = "Add a BuildKit backend to the server's pool.")
final class BackendsAddCommand implements Callable<Integer> {
  @Mixin ServerConnection connection = new ServerConnection();

  @Option(
      names = "--addr",
      required = true,
      paramLabel = "ADDR",
      description = "BuildKit daemon address, e.g. tcp://buildkit:1234")
  String addr = "";

  @Option(
      names = "--arch",
      required = true,
      paramLabel = "ARCH",
      description = "architecture, e.g. x86_64 or aarch64")
  String arch = "";

  @Option(
      names = "--label",
      paramLabel = "KEY=VALUE",
      split = ",",
      description = "a label, repeatable (or comma-separated)")
  List<String> labels = new ArrayList<>();

  @Option(
      names = "--max-jobs",
      paramLabel = "N",
      description = "most jobs at once (default: the pool's defaultMaxJobs)")
  @Nullable Integer maxJobs;

  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  @Override
  public Integer call() throws CliException, InterruptedException {
    ObjectNode body =
        MelangeServerClient.JSON.createObjectNode().put("addr", addr).put("arch", arch);
    if (!labels.isEmpty()) {
      ObjectNode labelObject = body.putObject("labels");
      for (String label : labels) {
        int eq = label.indexOf('=');
        if (eq <= 0) {
          throw new ParameterException(
              spec.commandLine(),
              "label \"" + MelangeOutput.printable(label) + "\": expected KEY=VALUE");
        }
        labelObject.put(label.substring(0, eq), label.substring(eq + 1));
      }
    }
    if (maxJobs != null) {
      body.put("maxJobs", maxJobs);
    }
    JsonNode added = connection.client().addBackend(body);
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "Added backend: "
            + MelangeOutput.printable(added.path("addr"))
            + " (arch: "
            + MelangeOutput.printable(added.path("arch"))
            + ")");
    if (!added.path("labels").isEmpty()) {
      out.println("Labels: " + MelangeOutput.labels(added.path("labels"), ", "));
    }
    return 0;
  }
}
