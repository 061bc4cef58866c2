package dev.melange.pool.buildkit.server;

import dev.melange.pool.internal.DisplayText;
import org.jspecify.annotations.Nullable;

/**
 * Text from outside (a request's path, pattern or header, a server's answer) made safe to put in a
 * log line or on a terminal: control characters and the characters that reorder or hide text are
 * written as escapes, and long text is cut short, so that a value can neither forge a line, move
 * the cursor, turn text around nor flood the output.
 *
 * <p>Escaped: C0 controls ({@code \n}, {@code \r} and {@code \t} by those names, the others as
 * {@code \}{@code u001b}), DEL, the C1 controls, the bidirectional controls U+061C, U+200E, U+200F,
 * U+202A to U+202E and U+2066 to U+2069, the line and paragraph separators U+2028 and U+2029, and
 * unpaired surrogates. Everything else, non-ASCII letters included, is kept.
 *
 * <p>Used by the server for its log lines and error messages, and by the {@code melange-pool}
 * command line for everything it prints from a server.
 */
public final class UntrustedText {
  /** How much of a value error messages and log lines show: enough to recognize it. */
  public static final int DEFAULT_LIMIT = 100;

  private UntrustedText() {}

  /** {@link #escape(CharSequence, int)} with {@link #DEFAULT_LIMIT}. */
  public static String escape(@Nullable CharSequence text) {
    return escape(text, DEFAULT_LIMIT);
  }

  /**
   * The text with its unsafe characters escaped (as {@code DisplayText} does it for the whole
   * project), cut after {@code limit} characters with a note of its length: {@code aaa... (60000
   * characters)}. Null is {@code null}.
   *
   * @throws IllegalArgumentException when {@code limit} is negative
   */
  public static String escape(@Nullable CharSequence text, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, was " + limit);
    }
    return DisplayText.shownUnquoted(String.valueOf(text), limit);
  }

  /** Whether the code point {@code c} would be escaped: a control, bidi or separator character. */
  public static boolean isUnsafe(int c) {
    return DisplayText.isControl(c)
        || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE);
  }
}
