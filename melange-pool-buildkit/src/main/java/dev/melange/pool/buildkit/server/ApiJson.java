package dev.melange.pool.buildkit.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.melange.pool.BackendStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The API's JSON. Reading is as strict as Go's {@code encoding/json} with unknown fields
 * disallowed: no unknown field, no string for a number or number for a string, no duplicate key,
 * nothing after the object. Writing follows melange-server where it has a format and is readable
 * elsewhere:
 *
 * <ul>
 *   <li>instants as RFC 3339 in UTC, fractions of a second only when there are some ({@code
 *       2024-01-15T10:30:00Z}, {@code 2024-01-15T10:30:00.25Z}), as Go writes a {@code time.Time};
 *   <li>durations as Go prints them ({@code 250ms}, {@code 1.5s}, {@code 1m30s}, {@code 1h0m0s}),
 *       the same form as the YAML's {@code recoveryTimeout};
 *   <li>enums in lower case ({@code ready}, {@code half_open}).
 * </ul>
 */
final class ApiJson {
  /**
   * What Go's zero {@code time.Time} looks like: melange-server's {@code lastFailure} for never.
   */
  static final String NEVER = "0001-01-01T00:00:00Z";

  private static final DateTimeFormatter RFC_3339 =
      new DateTimeFormatterBuilder()
          .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .appendLiteral('Z')
          .toFormatter(Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /** How deep a request's JSON may nest: bodies are two levels deep (an add's labels). */
  static final int MAX_NESTING_DEPTH = 16;

  /** The longest string a request's JSON may hold, in characters. */
  static final int MAX_STRING_LENGTH = 65_536;

  /** The longest field name a request's JSON may hold, in characters. */
  static final int MAX_NAME_LENGTH = 1_024;

  /** The longest number a request's JSON may hold, in characters: any int fits. */
  static final int MAX_NUMBER_LENGTH = 20;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_NESTING_DEPTH)
                          .maxStringLength(MAX_STRING_LENGTH)
                          .maxNameLength(MAX_NAME_LENGTH)
                          .maxNumberLength(MAX_NUMBER_LENGTH)
                          .build())
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .withCoercionConfig(
              LogicalType.Textual,
              config ->
                  config
                      .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .enable(EnumFeature.WRITE_ENUMS_TO_LOWERCASE)
          .addMixIn(BackendStatus.class, StatusNeverFailed.class)
          .addModule(
              new SimpleModule("melange-server")
                  .addSerializer(
                      Instant.class, new TextSerializer<>(Instant.class, ApiJson::rfc3339))
                  .addSerializer(
                      Duration.class, new TextSerializer<>(Duration.class, ApiJson::goDuration)))
          .build();

  private ApiJson() {}

  /**
   * Reads a request body that must hold one JSON object.
   *
   * @throws ApiException 400 {@code invalid request body: ...} saying what is wrong, and where
   */
  static <T> T read(byte[] body, Class<T> type) {
    try (JsonParser parser = MAPPER.createParser(body)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw ApiException.invalidBody("empty body, expected a JSON object");
      }
      if (first != JsonToken.START_OBJECT) {
        throw ApiException.invalidBody("expected a JSON object");
      }
      T value = MAPPER.readValue(parser, type);
      if (parser.nextToken() != null) {
        throw ApiException.invalidBody("unexpected data after the JSON object");
      }
      return value;
    } catch (JacksonException e) {
      throw ApiException.invalidBody(JsonProblems.describe(e));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail to read
    }
  }

  /**
   * Writes {@code value} and a newline to {@code out} as it goes (no copy of the whole answer is
   * made), then closes {@code out}. A backend's status has every component of {@link
   * BackendStatus}, by its name, in its order, so a component added to the record appears
   * unchanged; {@code lastFailure} is Go's zero time when there has been none, as melange-server
   * writes it; other absent values are {@code null}.
   *
   * @throws IOException when {@code out} fails (the client went away)
   */
  static void write(Object value, OutputStream out) throws IOException {
    try (JsonGenerator json = MAPPER.createGenerator(out)) {
      MAPPER.writeValue(json, value);
      json.writeRaw('\n');
    }
  }

  static String rfc3339(Instant instant) {
    return RFC_3339.format(instant);
  }

  /** Go's {@code time.Duration.String()}, for durations up to about 292 years (Go's range). */
  static String goDuration(Duration duration) {
    if (duration.isNegative()) {
      return "-" + goDuration(duration.negated());
    }
    long seconds = duration.getSeconds();
    int nanos = duration.getNano();
    if (seconds == 0) {
      if (nanos == 0) {
        return "0s";
      }
      if (nanos < 1_000) {
        return nanos + "ns";
      }
      return nanos < 1_000_000 ? decimal(nanos, 3) + "\u00b5s" : decimal(nanos, 6) + "ms";
    }
    StringBuilder text = new StringBuilder();
    if (seconds >= 3600) {
      text.append(seconds / 3600).append('h');
    }
    if (seconds >= 60) {
      text.append(seconds / 60 % 60).append('m');
    }
    return text.append(decimal(seconds % 60 * 1_000_000_000L + nanos, 9)).append('s').toString();
  }

  /** {@code value / 10^scale} without trailing zeros: {@code decimal(1500, 3)} is {@code 1.5}. */
  private static String decimal(long value, int scale) {
    return BigDecimal.valueOf(value, scale).stripTrailingZeros().toPlainString();
  }

  /** Writes {@code lastFailure} as Go's zero time when it is null. */
  private abstract static class StatusNeverFailed {
    @SuppressWarnings("UnusedMethod") // read by Jackson, as a mix-in of BackendStatus
    @JsonSerialize(nullsUsing = NeverSerializer.class)
    abstract @Nullable Instant lastFailure();
  }

  /** Writes {@link #NEVER} in place of null. */
  private static final class NeverSerializer extends StdSerializer<Object> {
    private static final long serialVersionUID = 1L;

    NeverSerializer() {
      super(Object.class);
    }

    @Override
    public void serialize(@Nullable Object value, JsonGenerator out, SerializerProvider provider)
        throws IOException {
      out.writeString(NEVER);
    }
  }

  /** Writes a value as the text a function makes of it. */
  private static final class TextSerializer<T> extends StdSerializer<T> {
    private static final long serialVersionUID = 1L;

    private final transient Function<T, String> text;

    TextSerializer(Class<T> type, Function<T, String> text) {
      super(type);
      this.text = text;
    }

    @Override
    public void serialize(T value, JsonGenerator out, SerializerProvider provider)
        throws IOException {
      out.writeString(text.apply(value));
    }
  }
}
