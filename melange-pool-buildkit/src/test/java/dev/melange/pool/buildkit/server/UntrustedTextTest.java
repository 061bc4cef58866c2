package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What may reach a log line or a terminal of text from outside. */
class UntrustedTextTest {

  @Test
  void controlAndBidiCharactersAreEscapedAndTheRestKept() {
    assertThat(UntrustedText.escape("tcp://a:1\n2026 INFO forged\r\t"))
        .isEqualTo("tcp://a:1\\n2026 INFO forged\\r\\t");
    assertThat(UntrustedText.escape("\u0000\u001b[2J\u007f\u0085\u009b"))
        .isEqualTo("\\u0000\\u001b[2J\\u007f\\u0085\\u009b");
    assertThat(
            UntrustedText.escape(
                "a\u061cb\u200ec\u200fd\u202ae\u202bf\u202cg\u202dh\u202ei\u2066j\u2067k\u2068l"
                    + "\u2069m\u2028n\u2029o"))
        .isEqualTo(
            "a\\u061cb\\u200ec\\u200fd\\u202ae\\u202bf\\u202cg\\u202dh\\u202ei\\u2066j\\u2067k"
                + "\\u2068l\\u2069m\\u2028n\\u2029o");
    assertThat(UntrustedText.escape("x\ud800y")).isEqualTo("x\\ud800y");
    assertThat(UntrustedText.escape("s3cr\u00e9t \u4ee4\u724c \ud83d\ude80 a\\nb"))
        .isEqualTo("s3cr\u00e9t \u4ee4\u724c \ud83d\ude80 a\\nb");
    assertThat(UntrustedText.escape(null)).isEqualTo("null");
  }

  @Test
  void longTextIsCutWithItsLength() {
    assertThat(UntrustedText.escape("a".repeat(100))).isEqualTo("a".repeat(100));
    assertThat(UntrustedText.escape("a".repeat(101)))
        .isEqualTo("a".repeat(100) + "... (101 characters)");
    assertThat(UntrustedText.escape("\ud83d\ude80".repeat(5), 3))
        .as("never half a surrogate pair")
        .isEqualTo("\ud83d\ude80\ud83d\ude80... (10 characters)");
    assertThat(UntrustedText.escape("x".repeat(60_000), 10))
        .isEqualTo("xxxxxxxxxx... (60000 characters)");
  }
}
