package dev.melange.pool.buildkit.cli;

import dev.melange.pool.BackendPool;
import dev.melange.pool.buildkit.server.MelangeServerApi;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine;
import picocli.CommandLine.IFactory;

/** Runs the command line in-process, its output captured. */
final class Cli {
  /** The three backends of melange-server's guide, with labels in the guide's (unsorted) order. */
  static final String GUIDE_YAML =
      """
      backends:
        - addr: tcp://buildkit-x86:1234
          arch: x86_64
          maxJobs: 4
          labels:
            tier: standard
            location: us-central1
        - addr: tcp://buildkit-arm:1234
          arch: aarch64
          maxJobs: 2
          labels:
            tier: standard
        - addr: tcp://buildkit-highmem:1234
          arch: x86_64
          maxJobs: 2
          labels:
            tier: high-memory
            memory: 64gi
      """;

  private Cli() {}

  /** What a run printed, and its exit code. */
  record Run(int exitCode, String out, String err) {}

  static Run run(String... args) {
    return run(CommandLine.defaultFactory(), new StringWriter(), args);
  }

  static Run run(IFactory factory, Writer out, String... args) {
    StringWriter err = new StringWriter();
    CommandLine commandLine = MelangePoolCommand.commandLine(factory);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  /** The guide's pool, from its YAML, served on 127.0.0.1 and a free port. */
  static MelangeServerApi serve(Path dir) throws Exception {
    return serve(
        BackendPool.fromYaml(Files.writeString(dir.resolve("backends.yaml"), GUIDE_YAML)), null);
  }

  static MelangeServerApi serve(BackendPool pool, Path tokenFile) {
    return MelangeServerApi.builder(pool)
        .listenAddress("127.0.0.1:0")
        .tokenFile(tokenFile)
        .closePoolOnClose(true)
        .build()
        .start();
  }

  /** A writer that hands each line printed to a queue, for output from another thread. */
  static final class LineWriter extends Writer {
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();
    private final StringBuilder line = new StringBuilder();

    @Override
    public synchronized void write(char[] chars, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        all.append(chars[i]);
        if (chars[i] == '\n') {
          lines.add(line.toString());
          line.setLength(0);
        } else {
          line.append(chars[i]);
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    @Override
    public synchronized String toString() {
      return all.toString();
    }
  }
}
