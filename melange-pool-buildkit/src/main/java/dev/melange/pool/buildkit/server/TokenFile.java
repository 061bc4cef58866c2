package dev.melange.pool.buildkit.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a bearer-token file the one way the server and its clients both read it, so that what a
 * client sends is byte for byte what the server expects: UTF-8 text, a byte-order mark dropped,
 * trailing line breaks and surrounding spaces trimmed; the token is the UTF-8 bytes of what is
 * left, sent as they are in {@code Authorization: Bearer <token>}.
 *
 * <p>Refused, with the file named: a file that cannot be read, is not UTF-8, holds no token, or
 * holds a control character (a second line, a tab, NUL) within the token.
 */
public final class TokenFile {
  /** A token file larger than this is not a token file (a key, a binary, a mistake). */
  static final int MAX_SIZE = 4096;

  private static final String BYTE_ORDER_MARK = "\ufeff";

  private TokenFile() {}

  /**
   * The token the file holds, as bytes.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read, is larger than 4 KiB,
   *     is not UTF-8 text, is empty (or only spaces and line breaks), or holds a control character
   *     within the token
   */
  public static byte[] read(Path file) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_SIZE) {
        throw new IllegalArgumentException(
            "token file " + file + " is larger than " + MAX_SIZE + " bytes: not a token");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + file + ": " + e, e);
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("token file " + file + " is not UTF-8 text", e);
    }
    if (text.startsWith(BYTE_ORDER_MARK)) {
      text = text.substring(BYTE_ORDER_MARK.length());
    }
    int end = text.length();
    while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
      end--;
    }
    String token = trimSpaces(text.substring(0, end));
    if (token.isEmpty()) {
      throw new IllegalArgumentException("token file " + file + " is empty");
    }
    for (int i = 0; i < token.length(); ) {
      int c = token.codePointAt(i);
      if (UntrustedText.isUnsafe(c)) {
        throw new IllegalArgumentException(
            String.format(
                "token file %s holds a control character (U+%04X) at character %d: a token is one"
                    + " line of text",
                file, c, i + 1));
      }
      i += Character.charCount(c);
    }
    return token.getBytes(StandardCharsets.UTF_8);
  }

  private static String trimSpaces(String text) {
    int from = 0;
    int to = text.length();
    while (from < to && text.charAt(from) == ' ') {
      from++;
    }
    while (to > from && text.charAt(to - 1) == ' ') {
      to--;
    }
    return text.substring(from, to);
  }
}
