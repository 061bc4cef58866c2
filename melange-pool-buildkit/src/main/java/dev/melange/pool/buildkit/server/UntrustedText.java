package dev.melange.pool.buildkit.server;

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
   * The text with its unsafe characters escaped, cut after {@code limit} characters (code points)
   * with a note of how many more there were: {@code aaa... (59900 more characters)}. Null is {@code
   * null}.
   *
   * @throws IllegalArgumentException when {@code limit} is negative
   */
  public static String escape(@Nullable CharSequence text, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, was " + limit);
    }
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), limit) + 16);
    int kept = 0;
    int i = 0;
    while (i < text.length() && kept < limit) {
      int c = Character.codePointAt(text, i);
      i += Character.charCount(c);
      kept++;
      appendEscaped(out, c);
    }
    if (i < text.length()) {
      long more = text.toString().codePoints().skip(kept).count();
      out.append("... (").append(more).append(more == 1 ? " more character)" : " more characters)");
    }
    return out.toString();
  }

  /** Whether {@code c} would be escaped: a control, bidi or separator character. */
  public static boolean isUnsafe(int c) {
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        || c == 0x061c
        || c == 0x200e
        || c == 0x200f
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069)
        || c == 0x2028
        || c == 0x2029
        || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE);
  }

  private static void appendEscaped(StringBuilder out, int c) {
    if (!isUnsafe(c)) {
      out.appendCodePoint(c);
      return;
    }
    switch (c) {
      case '\n' -> out.append("\\n");
      case '\r' -> out.append("\\r");
      case '\t' -> out.append("\\t");
      default -> out.append(String.format("\\u%04x", c));
    }
  }
}
