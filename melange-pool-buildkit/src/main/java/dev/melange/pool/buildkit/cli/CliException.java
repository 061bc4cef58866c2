package dev.melange.pool.buildkit.cli;

/** A failure the command reports as {@code Error: <message>} on stderr, exiting with 1. */
final class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  CliException(String message) {
    super(message, null, false, false);
  }
}
