package dev.melange.pool.buildkit.server;

import dev.melange.pool.internal.Utf8;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;

/**
 * Reads a bearer-token file the one way the server and its clients both read it, so that what a
 * client sends is byte for byte what the server expects: UTF-8 text, a byte-order mark dropped,
 * trailing line breaks and surrounding spaces trimmed; the token is the UTF-8 bytes of what is
 * left, sent as they are in {@code Authorization: Bearer <token>}.
 *
 * <p>Refused, with the file named: a file that does not exist or cannot be read, is not a regular
 * file, is larger than 4 KiB, is not UTF-8, holds no token, or holds a control character (a second
 * line, a tab, NUL) within the token.
 */
public final class TokenFile {
  /** A token file larger than this is not a token file (a key, a binary, a mistake). */
  static final int MAX_SIZE = 4096;

  private static final String BYTE_ORDER_MARK = "\ufeff";

  /** How much of a path messages show, escaped: a path is the operator's, but may be odd. */
  private static final int MAX_PATH_SHOWN = 300;

  private TokenFile() {}

  /**
   * The token the file holds, as bytes.
   *
   * @throws IllegalArgumentException naming the file when it does not exist or cannot be read, is
   *     not a regular file (a directory, a device such as {@code /dev/zero}, a pipe), is larger
   *     than 4 KiB, is not UTF-8 text, is empty (or only spaces and line breaks), or holds a
   *     control character within the token
   */
  public static byte[] read(Path file) {
    String shown = UntrustedText.escape(file.toString(), MAX_PATH_SHOWN);
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + shown + ": " + problem(e), e);
    }
    if (!attributes.isRegularFile()) {
      // Checked before opening: a FIFO would block the open until a writer comes, and a device
      // such as /dev/zero reports size 0 and never ends.
      throw new IllegalArgumentException(
          "token file "
              + shown
              + (attributes.isDirectory()
                  ? " is a directory, not a file"
                  : " is not a regular file (a device, a pipe or a socket)"));
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      // The size the file system reports is not trusted: what is read is bounded.
      bytes = in.readNBytes(MAX_SIZE + 1);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + shown + ": " + problem(e), e);
    }
    if (bytes.length > MAX_SIZE) {
      throw new IllegalArgumentException(
          "token file " + shown + " is larger than " + MAX_SIZE + " bytes: not a token");
    }
    String text;
    try {
      text = Utf8.decode(bytes);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("token file " + shown + " is not UTF-8 text", e);
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
      throw new IllegalArgumentException("token file " + shown + " is empty");
    }
    for (int i = 0; i < token.length(); ) {
      int c = token.codePointAt(i);
      if (UntrustedText.isUnsafe(c)) {
        throw new IllegalArgumentException(
            String.format(
                "token file %s holds a control character (U+%04X) at character %d: a token is one"
                    + " line of text",
                shown, c, i + 1));
      }
      i += Character.charCount(c);
    }
    return token.getBytes(StandardCharsets.UTF_8);
  }

  /** Why a file could not be read, in a few words of our own rather than an exception's name. */
  private static String problem(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    String reason = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
    return reason == null || reason.isBlank()
        ? "an input/output error"
        : UntrustedText.escape(reason).toLowerCase(Locale.ROOT);
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
