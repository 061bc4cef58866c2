package dev.melange.pool.core.health;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/** How a probe's failure is said in its result: in a few words, never a stack trace. */
final class ProbeFailures {
  private ProbeFailures() {}

  /** A probe's failure in a few words: {@code connection refused}, not a stack trace. */
  static String why(@Nullable Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause == null) {
      return "failed";
    }
    if (cause instanceof CancellationException) {
      return "cancelled";
    }
    String message = cause.getMessage();
    String name = cause.getClass().getSimpleName();
    if (message == null || message.isBlank()) {
      return name;
    }
    if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
      return message.toLowerCase(Locale.ROOT);
    }
    return name + ": " + message;
  }
}
