package dev.melange.pool.buildkit.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.jspecify.annotations.Nullable;

/** The token the mutating routes require, as {@code Authorization: Bearer <token>}. */
final class BearerToken {
  private static final String SCHEME = "bearer ";

  private final byte[] expected;

  private BearerToken(byte[] expected) {
    this.expected = expected;
  }

  /**
   * Reads the token from a file, as {@link TokenFile#read} does.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or holds no token
   */
  static BearerToken read(Path file) {
    return new BearerToken(TokenFile.read(file));
  }

  /**
   * Lets the request through when it carries the token; compares the bytes the header carried (a
   * token of UTF-8 text arrives as its UTF-8 bytes) in constant time, so the answer's timing tells
   * nothing about how much of a guess was right.
   *
   * @param authorization the header as the server decoded it: one char per byte received
   * @throws ApiException 401 when the header is missing, is not a bearer token, or is wrong
   */
  void check(@Nullable String authorization) {
    if (authorization == null
        || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      throw new ApiException(401, "unauthorized: send Authorization: Bearer <token>");
    }
    String token = authorization.substring(SCHEME.length()).trim();
    if (!MessageDigest.isEqual(expected, headerBytes(token))) {
      throw new ApiException(401, "unauthorized: wrong bearer token");
    }
  }

  /**
   * The bytes of a header value. HTTP/1.1 headers are bytes; the server hands them over as one
   * ISO-8859-1 char per byte, so that encoding gives them back exactly. A char beyond U+00FF cannot
   * have come from the wire that way and stands for itself in UTF-8.
   */
  private static byte[] headerBytes(String value) {
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) > 0xff) {
        return value.getBytes(StandardCharsets.UTF_8);
      }
    }
    return value.getBytes(StandardCharsets.ISO_8859_1);
  }
}
