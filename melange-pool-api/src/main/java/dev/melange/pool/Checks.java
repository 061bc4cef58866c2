package dev.melange.pool;

import java.time.Duration;

/** Argument checks shared by the policies. */
final class Checks {
  private Checks() {}

  static void require(boolean valid, String message) {
    if (!valid) {
      throw new IllegalArgumentException(message);
    }
  }

  static boolean positive(Duration duration) {
    return !duration.isNegative() && !duration.isZero();
  }

  static void percentage(String name, double value) {
    require(value >= 0 && value <= 100, name + " must be a percentage from 0 to 100, was " + value);
  }
}
