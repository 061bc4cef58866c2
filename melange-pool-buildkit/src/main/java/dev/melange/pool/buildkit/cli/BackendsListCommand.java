package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backends list}: prints what melange's {@code remote backends list} prints. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List the backends, with their architectures and labels.")
final class BackendsListCommand implements Callable<Integer> {
  @Mixin ServerConnection connection = new ServerConnection();

  @Option(
      names = "--arch",
      paramLabel = "ARCH",
      description = "only the backends of this architecture")
  @Nullable String arch;

  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  @Override
  public Integer call() throws CliException, InterruptedException {
    JsonNode reply = connection.client().listBackends(arch);
    PrintWriter out = spec.commandLine().getOut();
    JsonNode backends = reply.path("backends");
    if (backends.isEmpty()) {
      out.println("No backends found");
      return 0;
    }
    out.println("Available architectures: " + MelangeOutput.goList(reply.path("architectures")));
    out.println();
    Table table = new Table().row("ADDR", "ARCH", "LABELS");
    for (JsonNode backend : backends) {
      table.row(
          MelangeOutput.printable(backend.path("addr")),
          MelangeOutput.printable(backend.path("arch")),
          MelangeOutput.labels(backend.path("labels"), ","));
    }
    table.print(out);
    return 0;
  }
}
