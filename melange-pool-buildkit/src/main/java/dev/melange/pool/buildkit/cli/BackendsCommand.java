package dev.melange.pool.buildkit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code backends}: melange's {@code remote backends} commands. */
@Command(
    name = "backends",
    mixinStandardHelpOptions = true,
    description =
        "List, add and remove the BuildKit backends of a melange-server, or show their status.",
    subcommands = {
      BackendsListCommand.class,
      BackendsAddCommand.class,
      BackendsRemoveCommand.class,
      BackendsStatusCommand.class
    })
final class BackendsCommand implements Callable<Integer> {
  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand");
  }
}
