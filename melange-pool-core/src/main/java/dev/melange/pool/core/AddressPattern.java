package dev.melange.pool.core;

/**
 * Operators' patterns over backend addresses (Varnish's {@code backend.list} style): {@code *}
 * matches any run of characters, {@code ?} any one character, everything else itself. Unlike a file
 * glob, {@code *} crosses {@code /} and {@code :}, so {@code *:1234} matches {@code
 * tcp://host:1234}.
 */
final class AddressPattern {
  private AddressPattern() {}

  /**
   * Whether {@code text} matches {@code pattern} as a whole. No recursion and no regex: one pass
   * that, on a mismatch, lets the last {@code *} take one more character. Its worst case is the
   * product of the lengths; a pattern with more literal characters than the text has cannot match
   * and is refused at once, so that product stays within the square of the text's length however
   * long the pattern.
   */
  static boolean matches(String pattern, String text) {
    int literals = 0;
    for (int i = 0; i < pattern.length(); i++) {
      if (pattern.charAt(i) != '*' && ++literals > text.length()) {
        return false;
      }
    }
    int p = 0;
    int t = 0;
    int starAt = -1; // the last '*' seen in the pattern
    int starMatched = 0; // where in the text that '*' has matched up to
    while (t < text.length()) {
      if (p < pattern.length()
          && (pattern.charAt(p) == '?' || pattern.charAt(p) == text.charAt(t))) {
        p++;
        t++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        starAt = p++;
        starMatched = t;
      } else if (starAt >= 0) {
        // Let the last '*' take one more character and try again from there.
        p = starAt + 1;
        t = ++starMatched;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }
}
