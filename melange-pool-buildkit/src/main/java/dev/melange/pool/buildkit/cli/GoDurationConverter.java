package dev.melange.pool.buildkit.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a duration as Go's {@code time.ParseDuration} does, the form of the YAML file's durations:
 * {@code 250ms}, {@code 10s}, {@code 1m30s}, {@code 1.5h}; units {@code ns}, {@code us} (or {@code
 * µs}), {@code ms}, {@code s}, {@code m}, {@code h}.
 */
final class GoDurationConverter implements ITypeConverter<Duration> {
  private static final Pattern PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|\u00b5s|ms|s|m|h)");
  private static final Map<String, Long> NANOS =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "\u00b5s", 1_000L,
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L);

  @Override
  public Duration convert(String text) {
    Matcher part = PART.matcher(text);
    BigDecimal nanos = BigDecimal.ZERO;
    int at = 0;
    while (at < text.length() && part.find(at) && part.start() == at) {
      nanos =
          nanos.add(
              new BigDecimal(part.group(1))
                  .multiply(BigDecimal.valueOf(NANOS.getOrDefault(part.group(2), 0L))));
      at = part.end();
    }
    if (text.isEmpty() || at != text.length()) {
      throw new TypeConversionException(
          "'" + text + "' is not a duration: write it as Go does, e.g. 10s, 500ms or 1m30s");
    }
    try {
      return Duration.ofNanos(nanos.longValueExact());
    } catch (ArithmeticException e) {
      throw new TypeConversionException("'" + text + "' is too long a duration");
    }
  }
}
