package dev.melange.pool.core.time;

import java.time.Duration;
import java.util.Map;

/**
 * Go's duration syntax, as melange-server's {@code backends.yaml} uses it: {@link #parse} accepts
 * exactly what Go's {@code time.ParseDuration} accepts and {@link #format} prints what Go's {@code
 * time.Duration.String()} prints, so a value read from a file and echoed back looks the same in
 * both systems.
 *
 * <p>Like Go, a duration is a signed 64-bit count of nanoseconds: about 292 years either way. The
 * parser follows Go's algorithm step by step, including its unsigned arithmetic and the way it
 * scales fractions through a {@code double}, so that the two agree on every input, rounding
 * included.
 */
public final class GoDuration {

  private static final long NANOS_PER_MICRO = 1_000L;
  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long SECONDS_PER_HOUR = 3_600L;

  /** Go's unit table; both the micro sign (U+00B5) and the Greek mu (U+03BC) spell microseconds. */
  private static final Map<String, Long> UNITS =
      Map.of(
          "ns", 1L,
          "us", NANOS_PER_MICRO,
          "\u00b5s", NANOS_PER_MICRO,
          "\u03bcs", NANOS_PER_MICRO,
          "ms", NANOS_PER_MILLI,
          "s", NANOS_PER_SECOND,
          "m", 60 * NANOS_PER_SECOND,
          "h", SECONDS_PER_HOUR * NANOS_PER_SECOND);

  /** 1 << 63 as an unsigned value: the magnitude of the most negative duration. */
  private static final long MAGNITUDE_LIMIT = Long.MIN_VALUE;

  private GoDuration() {}

  /**
   * Parses a Go duration such as {@code 250ms}, {@code 30s}, {@code 1h30m}, {@code 1.5h} or {@code
   * -5s}; {@code 0} alone is allowed, as in Go.
   *
   * @throws IllegalArgumentException naming the text when it is not a Go duration; for a number
   *     without a unit, such as {@code 30}, the message says {@code use a duration such as 30s}
   */
  public static Duration parse(String text) {
    int at = 0; // walks the text once, index by index: a long input costs no more than reading it
    boolean negative = false;
    if (!text.isEmpty() && (text.charAt(0) == '-' || text.charAt(0) == '+')) {
      negative = text.charAt(0) == '-';
      at = 1;
    }
    if (text.length() - at == 1 && text.charAt(at) == '0') {
      return Duration.ZERO;
    }
    if (at == text.length()) {
      throw invalid(text);
    }
    long total = 0; // unsigned, as in Go
    while (at < text.length()) {
      if (!startsNumber(text.charAt(at))) {
        throw invalid(text);
      }
      int wholeEnd = digitsEnd(text, at);
      boolean hasWhole = wholeEnd > at;
      long whole = leadingInt(text, at, wholeEnd);
      at = wholeEnd;
      long fraction = 0; // unsigned
      double scale = 1;
      boolean hasFraction = false;
      if (at < text.length() && text.charAt(at) == '.') {
        int fractionEnd = digitsEnd(text, at + 1);
        hasFraction = fractionEnd > at + 1;
        // Go keeps the digits that fit and ignores the rest of an over-long fraction.
        for (int i = at + 1; i < fractionEnd; i++) {
          if (Long.compareUnsigned(fraction, Long.MAX_VALUE / 10) > 0) {
            break;
          }
          long next = fraction * 10 + (text.charAt(i) - '0');
          if (Long.compareUnsigned(next, MAGNITUDE_LIMIT) > 0) {
            break;
          }
          fraction = next;
          scale *= 10;
        }
        at = fractionEnd;
      }
      if (!hasWhole && !hasFraction) {
        throw invalid(text); // "." or ".s"
      }
      int unitEnd = at;
      while (unitEnd < text.length() && !startsNumber(text.charAt(unitEnd))) {
        unitEnd++;
      }
      if (unitEnd == at) {
        throw new IllegalArgumentException(
            "missing unit in duration " + quote(text) + ": use a duration such as 30s");
      }
      String unitName = text.substring(at, unitEnd);
      at = unitEnd;
      Long unit = UNITS.get(unitName);
      if (unit == null) {
        throw new IllegalArgumentException(
            "unknown unit " + quote(unitName) + " in duration " + quote(text));
      }
      if (Long.compareUnsigned(whole, Long.divideUnsigned(MAGNITUDE_LIMIT, unit)) > 0) {
        throw outOfRange(text);
      }
      long value = whole * unit;
      if (fraction != 0) {
        value += (long) (unsignedToDouble(fraction) * (unit / scale));
        if (Long.compareUnsigned(value, MAGNITUDE_LIMIT) > 0) {
          throw outOfRange(text);
        }
      }
      total += value;
      if (Long.compareUnsigned(total, MAGNITUDE_LIMIT) > 0) {
        throw outOfRange(text);
      }
    }
    if (negative) {
      return Duration.ofNanos(-total); // -(1 << 63) wraps to itself: Long.MIN_VALUE, as wanted
    }
    if (total == MAGNITUDE_LIMIT) {
      throw outOfRange(text);
    }
    return Duration.ofNanos(total);
  }

  /**
   * Go's {@code time.Duration.String()}: {@code 0s}, {@code 250ms}, {@code 1.5s}, {@code 30s},
   * {@code 5m0s}, {@code 1m30s}, {@code 1h0m0s}, {@code -5s}. Durations beyond Go's range are
   * printed the same way, with more hours.
   */
  public static String format(Duration duration) {
    if (duration.isZero()) {
      return "0s";
    }
    // Seconds as an unsigned magnitude, so that even Duration.MIN's 2^63 seconds print correctly.
    long seconds = duration.getSeconds();
    long nanos = duration.getNano();
    String sign = "";
    if (duration.isNegative()) {
      sign = "-";
      seconds = nanos == 0 ? -seconds : -seconds - 1;
      nanos = nanos == 0 ? 0 : NANOS_PER_SECOND - nanos;
    }
    if (seconds == 0) {
      return sign + formatBelowOneSecond(nanos);
    }
    long hours = Long.divideUnsigned(seconds, SECONDS_PER_HOUR);
    long minutes = Long.remainderUnsigned(seconds, SECONDS_PER_HOUR) / 60;
    long secondsOfMinute = Long.remainderUnsigned(seconds, 60);
    StringBuilder out = new StringBuilder(sign);
    if (hours != 0) {
      out.append(Long.toUnsignedString(hours)).append('h');
    }
    if (hours != 0 || minutes != 0) {
      out.append(minutes).append('m');
    }
    return out.append(secondsOfMinute).append(fraction(nanos, 9)).append('s').toString();
  }

  private static String formatBelowOneSecond(long nanos) {
    if (nanos < NANOS_PER_MICRO) {
      return nanos + "ns";
    }
    if (nanos < NANOS_PER_MILLI) {
      return nanos / NANOS_PER_MICRO + fraction(nanos % NANOS_PER_MICRO, 3) + "\u00b5s";
    }
    return nanos / NANOS_PER_MILLI + fraction(nanos % NANOS_PER_MILLI, 6) + "ms";
  }

  /** {@code value} as the digits after a decimal point, {@code width} wide, trailing zeros cut. */
  private static String fraction(long value, int width) {
    if (value == 0) {
      return "";
    }
    String digits = String.format("%0" + width + "d", value);
    int end = digits.length();
    while (digits.charAt(end - 1) == '0') {
      end--;
    }
    return "." + digits.substring(0, end);
  }

  private static boolean startsNumber(char c) {
    return c == '.' || isDigit(c);
  }

  /** Go's {@code float64(x)} for a {@code uint64}; only 1 << 63 itself is out of signed range. */
  private static double unsignedToDouble(long value) {
    return value >= 0 ? value : 0x1p63;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int digitsEnd(String text, int from) {
    int end = from;
    while (end < text.length() && isDigit(text.charAt(end))) {
      end++;
    }
    return end;
  }

  /** The digits from {@code start} to {@code end} as an unsigned number no larger than 1 << 63. */
  private static long leadingInt(String text, int start, int end) {
    long value = 0;
    for (int i = start; i < end; i++) {
      if (Long.compareUnsigned(value, Long.divideUnsigned(MAGNITUDE_LIMIT, 10)) > 0) {
        throw outOfRange(text);
      }
      value = value * 10 + (text.charAt(i) - '0');
      if (Long.compareUnsigned(value, MAGNITUDE_LIMIT) > 0) {
        throw outOfRange(text);
      }
    }
    return value;
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("invalid duration " + quote(text));
  }

  private static IllegalArgumentException outOfRange(String text) {
    return new IllegalArgumentException(
        "invalid duration " + quote(text) + ": out of range (at most about 292 years)");
  }

  /** The text in quotes for a message, cut short: a file may hold a megabyte-long value. */
  private static String quote(String text) {
    return '"' + (text.length() > 60 ? text.substring(0, 60) + "..." : text) + '"';
  }
}
