package dev.melange.pool.buildkit.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** The token the mutating routes require, as {@code Authorization: Bearer <token>}. */
final class BearerToken {
  private static final String SCHEME = "bearer ";

  private final byte[] expected;

  private BearerToken(byte[] expected) {
    this.expected = expected;
  }

  /**
   * Reads the token from a file, trimmed of surrounding whitespace (a trailing newline, say).
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or holds no token
   */
  static BearerToken read(Path file) {
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + file + ": " + e, e);
    }
    if (token.isEmpty()) {
      throw new IllegalArgumentException("token file " + file + " is empty");
    }
    return new BearerToken(token.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Lets the request through when it carries the token; compares in constant time, so the answer's
   * timing tells nothing about how much of a guess was right.
   *
   * @throws ApiException 401 when the header is missing, is not a bearer token, or is wrong
   */
  void check(@Nullable String authorization) {
    if (authorization == null
        || authorization.length() < SCHEME.length()
        || !authorization.substring(0, SCHEME.length()).toLowerCase(Locale.ROOT).equals(SCHEME)) {
      throw new ApiException(401, "unauthorized: send Authorization: Bearer <token>");
    }
    byte[] given = authorization.substring(SCHEME.length()).trim().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected, given)) {
      throw new ApiException(401, "unauthorized: wrong bearer token");
    }
  }
}
