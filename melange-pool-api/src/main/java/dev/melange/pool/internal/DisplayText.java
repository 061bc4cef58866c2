package dev.melange.pool.internal;

import dev.melange.pool.Backend;

/**
 * How text a user (or a peer) supplied is shown in a message: control characters escaped, long
 * values cut. Messages end up in logs, terminals and HTTP answers; a newline there forges a log
 * line, an ESC sequence rewrites a terminal, a bidi control reorders what an operator reads, and a
 * 60 KB value buries everything else. Ordinary text (printable, short) is shown exactly as given,
 * so messages about it read as before.
 *
 * <p>Refused as control characters, wherever the API refuses them: C0 ({@code U+0000}–{@code
 * U+001F}, NUL, newline and ESC among them), DEL, C1 ({@code U+0080}–{@code U+009F}), the bidi
 * controls ({@code U+061C}, {@code U+200E}, {@code U+200F}, {@code U+202A}–{@code U+202E}, {@code
 * U+2066}–{@code U+2069}) and the Unicode line and paragraph separators ({@code U+2028}, {@code
 * U+2029}), which some log viewers break lines at.
 *
 * <p>Not part of the API: the module does not export this package (it is public for the API's and
 * the SPI's packages to share it).
 */
public final class DisplayText {

  /**
   * The most characters of a value a message shows: a whole address of the longest allowed ({@link
   * Backend#MAX_ADDR_LENGTH}), a few lines of a terminal.
   */
  public static final int MAX_SHOWN = 512;

  private DisplayText() {}

  /** Whether {@code c} is a control character in the sense above. */
  public static boolean isControl(char c) {
    return c < 0x20
        || (c >= 0x7F && c <= 0x9F)
        || c == '\u061C'
        || c == '\u200E'
        || c == '\u200F'
        || (c >= '\u2028' && c <= '\u202E')
        || (c >= '\u2066' && c <= '\u2069');
  }

  /** Whether the code point {@code c} is a control character in the sense above. */
  public static boolean isControl(int c) {
    return c <= Character.MAX_VALUE && isControl((char) c);
  }

  /** The index of the first control character in {@code text}, or -1 when there is none. */
  public static int firstControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isControl(text.charAt(i))) {
        return i;
      }
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
    if (text.length() <= max && firstControl(text) < 0 && !hasLoneSurrogate(text)) {
      return text;
    }
    return shown(text, max, false);
  }

  private static String shown(String text, int max, boolean quotesEscaped) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 16);
    for (int i = 0; i < text.length(); i++) {
      if (out.length() >= max) {
        if (Character.isHighSurrogate(out.charAt(out.length() - 1))) {
          out.setLength(out.length() - 1); // never half a pair
        }
        return out.append("... (").append(text.length()).append(" characters)").toString();
      }
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\\' -> out.append(quotesEscaped ? "\\\\" : "\\");
        case '"' -> out.append(quotesEscaped ? "\\\"" : "\"");
        default -> {
          if (isControl(c) || isLoneSurrogate(text, i)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
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

  private static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isLoneSurrogate(text, i)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isLoneSurrogate(String text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
    }
    return false;
  }
}
