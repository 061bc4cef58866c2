package dev.melange.pool.buildkit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Test helper: the records grpc-java logs through java.util.logging (its loggers are named for its
 * classes, all under {@code io.grpc}) while it is open, at {@code WARNING} or above: what an
 * embedding application whose JUL console handler is left as the JDK sets it would print.
 */
final class GrpcLogRecords implements AutoCloseable {
  /** Held, because JUL keeps only weak references to loggers (and so to their handlers). */
  private final Logger grpc = Logger.getLogger("io.grpc");

  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            records.add(record);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  GrpcLogRecords() {
    handler.setLevel(Level.ALL);
    grpc.addHandler(handler);
  }

  /** The records so far, each as {@code LEVEL logger: message}. */
  List<String> warnings() {
    return records.stream()
        .map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage())
        .toList();
  }

  @Override
  public void close() {
    grpc.removeHandler(handler);
  }
}
