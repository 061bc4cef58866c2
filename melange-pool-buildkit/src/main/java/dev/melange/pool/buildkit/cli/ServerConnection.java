package dev.melange.pool.buildkit.cli;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The options every {@code backends} command shares: which server, and its token. */
final class ServerConnection {
  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "http://localhost:8080",
      description = "melange-server URL (default: ${DEFAULT-VALUE})")
  String server = "http://localhost:8080";

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      defaultValue = "${env:MELANGE_POOL_TOKEN_FILE}",
      description = {
        // Line by line, so that "(default: ...)" is never wrapped in two.
        "file holding the bearer token the server requires",
        "for changes; read only by add and remove",
        "(default: $MELANGE_POOL_TOKEN_FILE)"
      })
  @Nullable Path tokenFile;

  MelangeServerClient client() throws CliException {
    return new MelangeServerClient(server, tokenFile);
  }
}
