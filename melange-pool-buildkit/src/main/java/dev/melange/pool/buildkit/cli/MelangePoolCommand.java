package dev.melange.pool.buildkit.cli;

import java.util.concurrent.Callable;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code melange-pool}, the main class of {@code melange-pool.jar}:
 *
 * <pre>
 * java -jar melange-pool.jar server --backends-config backends.yaml
 * java -jar melange-pool.jar backends list [--server URL] [--arch X]
 * java -jar melange-pool.jar backends add --addr A --arch X [--label k=v]... [--max-jobs N]
 * java -jar melange-pool.jar backends remove --addr A
 * java -jar melange-pool.jar backends status
 * </pre>
 *
 * Output goes to stdout; errors go to stderr as {@code Error: <message>}, with exit code 1 (2 for a
 * wrong command line).
 */
@Command(
    name = "melange-pool",
    mixinStandardHelpOptions = true,
    versionProvider = MelangePoolCommand.Version.class,
    description = "A pool of BuildKit backends behind melange-server's HTTP API.",
    subcommands = {ServerCommand.class, BackendsCommand.class})
public final class MelangePoolCommand implements Callable<Integer> {
  @Spec
  @SuppressWarnings("NullAway.Init")
  CommandSpec spec;

  /** picocli makes it. */
  MelangePoolCommand() {}

  /**
   * Runs the command line and exits with its code.
   *
   * @param args the command line, e.g. {@code server --backends-config backends.yaml}
   */
  public static void main(String[] args) {
    readableLogs();
    System.exit(commandLine(CommandLine.defaultFactory()).execute(args));
  }

  /** The command line, its commands made by {@code factory}, errors reported as {@code Error:}. */
  static CommandLine commandLine(IFactory factory) {
    CommandLine commandLine = new CommandLine(MelangePoolCommand.class, factory);
    commandLine.setExecutionExceptionHandler(
        (failure, command, parsed) -> {
          String message = failure.getMessage();
          command.getErr().println("Error: " + (message == null ? failure.toString() : message));
          command.getErr().flush();
          return 1;
        });
    return commandLine;
  }

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand");
  }

  /**
   * Timestamps on the server's log lines (slf4j-simple, on stderr), unless set otherwise with
   * {@code -Dorg.slf4j.simpleLogger.*}; grpc's and the JDK's java.util.logging records among them,
   * in the same format and under the same levels ({@code
   * -Dorg.slf4j.simpleLogger.log.io.grpc=error}), rather than in JUL's two-line format of their
   * own.
   */
  private static void readableLogs() {
    System.getProperties().putIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    System.getProperties()
        .putIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    System.getProperties().putIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    System.getProperties().putIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    // Jetty's start-up banner and debugging chatter; its warnings and errors still show.
    System.getProperties().putIfAbsent("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
    // After the settings above, which slf4j-simple reads once, when it first logs.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }

  /** The version in the jar's manifest. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = MelangePoolCommand.class.getPackage().getImplementationVersion();
      return new String[] {"melange-pool " + (version == null ? "(development build)" : version)};
    }
  }
}
