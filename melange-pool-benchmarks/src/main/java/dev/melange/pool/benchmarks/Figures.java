package dev.melange.pool.benchmarks;

import java.math.BigDecimal;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * How the report writes numbers: enough digits to compare, no more, with thousands separated so
 * that 1,000,000 µs reads at a glance. A figure that was not measured is written as an em dash.
 */
final class Figures {
  static final String NOT_MEASURED = "—";

  private Figures() {}

  /** A duration or size: two decimals below 10, one below 1,000, none above. */
  static String number(double value) {
    return String.format(Locale.ROOT, pattern(value), value);
  }

  /** Like {@link #number(double)}, or the em dash for null. */
  static String number(@Nullable Double value) {
    return value == null ? NOT_MEASURED : number(value.doubleValue());
  }

  /**
   * A score with its error to the score's precision, {@code 15.2 ± 0.3}; without the error when JMH
   * had too few samples to compute one.
   */
  static String withError(double score, double error) {
    String pattern = pattern(score);
    return Double.isNaN(error)
        ? String.format(Locale.ROOT, pattern, score)
        : String.format(Locale.ROOT, pattern + " ± " + pattern, score, error);
  }

  /** A ratio: {@code 1.25×} below 10, {@code 23.4×} above. */
  static String ratio(double ratio) {
    String pattern = ratio < 10 ? "%,.2f×" : "%,.1f×";
    return String.format(Locale.ROOT, pattern, ratio);
  }

  /** Like {@link #ratio(double)}, or the em dash for null. */
  static String ratio(@Nullable Double ratio) {
    return ratio == null ? NOT_MEASURED : ratio(ratio.doubleValue());
  }

  /** A threshold as written in a target, without trailing zeros: {@code 1.5}, {@code 20}. */
  static String threshold(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** {@code 1 backend}, {@code 10,000 backends}. */
  static String backends(long backends) {
    return count(backends) + (backends == 1 ? " backend" : " backends");
  }

  /** A whole number with thousands separated: {@code 10,000}. */
  static String count(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }

  /** {@code 1 thread}, {@code 2 threads}. */
  static String threads(int threads) {
    return threads == 1 ? "1 thread" : threads + " threads";
  }

  private static String pattern(double value) {
    double magnitude = Math.abs(value);
    return magnitude < 10 ? "%,.2f" : magnitude < 1_000 ? "%,.1f" : "%,.0f";
  }
}
