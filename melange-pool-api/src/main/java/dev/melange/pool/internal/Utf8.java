package dev.melange.pool.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Files read as UTF-8 text (configuration, token files): one strict reading for the whole project.
 * Not part of the API: the module exports this package only to melange-pool's own modules.
 */
public final class Utf8 {
  private Utf8() {}

  /**
   * The bytes as UTF-8 text, strictly: a malformed byte sequence is an error, not a silent
   * replacement character.
   *
   * @throws CharacterCodingException when the bytes are not UTF-8
   */
  public static String decode(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }
}
