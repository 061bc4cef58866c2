package dev.melange.pool.buildkit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backends remove}: melange's {@code remote backends remove}. */
@Command(
    name = "remove",
    mixinStandardHelpOptions = true,
    description = "Remove a BuildKit backend from the server's pool (not the last one).")
final class BackendsRemoveCommand implements Callable<Integer> {
  @Mixin ServerConnection connection = new ServerConnection();

  @Option(
      names = "--addr",
      required = true,
      paramLabel = "ADDR",
      description = "address of the backend to remove")
  String addr = "";

  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  @Override
  public Integer call() throws CliException, InterruptedException {
    connection.client().removeBackend(addr);
    spec.commandLine().getOut().println("Removed backend: " + MelangeOutput.printable(addr));
    return 0;
  }
}
