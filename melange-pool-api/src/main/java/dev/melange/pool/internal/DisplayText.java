package dev.melange.pool.internal;

import dev.melange.pool.Backend;

/**
 * How text a user (or a peer) supplied is shown in a message: control characters escaped, long
 * values cut. Messages end up in logs, terminals and HTTP answers; a newline there forges a log
 * line, an ESC sequence rewrites a terminal, a bidi control reorders what an operator reads, and a
 * 60 KB value buries everything else. Ordinary text (printable, short) is shown exactly as given,
 * so messages about it read as before.
 *
 * <p>Refused as control characters, wherever the API refuses them, and escaped wherever it shows
 * text: every code point of the Unicode categories Cc (C0 such as NUL, newline and ESC; DEL; C1),
 * Cf (format characters: the bidi controls {@code U+061C}, {@code U+200E}, {@code U+200F}, {@code
 * U+202A}–{@code U+202E}, {@code U+2066}–{@code U+2069}, and the invisible ones such as the zero
 * width space {@code U+200B}, the word joiner {@code U+2060} and the byte order mark {@code
 * U+FEFF}, which make {@code tier=standard\u200b} look like {@code tier=standard}), Zl and Zp (the
 * line and paragraph separators, which some log viewers break lines at), and lone surrogates.
 *
 * <p>Not part of the API: the module exports this package only to melange-pool's own modules.
 */
public final class DisplayText {

  /**
   * The most characters of a value a message shows: a whole address of the longest allowed ({@link
   * Backend#MAX_ADDR_LENGTH}), a few lines of a terminal.
   */
  public static final int MAX_SHOWN = 512;

  private DisplayText() {}

  /**
   * Whether the code point {@code c} is a control character in the sense above (a lone surrogate,
   * met as a code point of its own, is one).
   */
  public static boolean isControl(int c) {
    return switch (Character.getType(c)) {
      case Character.CONTROL,
          Character.FORMAT,
          Character.LINE_SEPARATOR,
          Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE ->
          true;
      default -> false;
    };
  }

  /** The index of the first control character in {@code text}, or -1 when there is none. */
  public static int firstControl(String text) {
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      if (isControl(c)) {
        return i;
      }
      i += Character.charCount(c);
    }
    return -1;
  }

  /** Whether {@code text} starts or ends with white space (control characters aside). */
  public static boolean hasSurroundingSpace(String text) {
    return !text.isEmpty()
        && (Character.isWhitespace(text.charAt(0))
            || Character.isSpaceChar(text.charAt(0))
            || Character.isWhitespace(text.charAt(text.length() - 1))
            || Character.isSpaceChar(text.charAt(text.length() - 1)));
  }

  /**
   * {@code text} fit for a message: control characters, lone surrogates, backslashes and double
   * quotes escaped as in a Java string literal ({@code \n}, {@code \u001b}, {@code \\}, {@code
   * \"}), and cut after {@link #MAX_SHOWN} characters with a note of the full length.
   */
  public static String shown(String text) {
    return shown(text, MAX_SHOWN);
  }

  /** {@link #shown(String)}, cut after {@code max} characters. */
  public static String shown(String text, int max) {
    return shown(text, max, true);
  }

  /**
   * {@code text} fit for a log line or a terminal where it is not quoted (a probe's detail):
   * control characters and lone surrogates escaped, backslashes and quotes as they are, cut after
   * {@code max} characters. Text without control characters that fits comes back as it is.
   */
  public static String shownUnquoted(String text, int max) {
    if (text.length() <= max && firstControl(text) < 0) {
      return text;
    }
    return shown(text, max, false);
  }

  private static String shown(String text, int max, boolean quotesEscaped) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 16);
    for (int i = 0; i < text.length(); ) {
      if (out.length() >= max) {
        return out.append("... (").append(text.length()).append(" characters)").toString();
      }
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\\' -> out.append(quotesEscaped ? "\\\\" : "\\");
        case '"' -> out.append(quotesEscaped ? "\\\"" : "\"");
        default -> {
          if (!isControl(c)) {
            out.appendCodePoint(c);
          } else if (Character.isBmpCodePoint(c)) {
            out.append(String.format("\\u%04x", c));
          } else {
            out.append(
                String.format(
                    "\\u%04x\\u%04x",
                    (int) Character.highSurrogate(c), (int) Character.lowSurrogate(c)));
          }
        }
      }
    }
    return out.toString();
  }

  /** {@link #shown} in double quotes. */
  public static String quoted(String text) {
    return '"' + shown(text) + '"';
  }
}
