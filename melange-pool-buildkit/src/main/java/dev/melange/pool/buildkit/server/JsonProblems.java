package dev.melange.pool.buildkit.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What is wrong with a JSON text, in a line of our own words, from the exception Jackson threw
 * reading it: {@code the JSON ends inside an object at line 1, column 9}, {@code unexpected
 * character '/' at line 1, column 22: JSON has no comments}, {@code field "maxJobs" must be an
 * integer}. Never a Java type, a Jackson setting or the parser's wording; what the text held (a
 * field name, a token) is quoted escaped and cut short.
 *
 * <p>Used by the server for request bodies and by the {@code melange-pool} command line for a
 * server's answers.
 */
public final class JsonProblems {
  /** How much of a value from the text a description quotes. */
  private static final int MAX_QUOTED = 40;

  private static final Pattern LIMIT =
      Pattern.compile("^(.*?) \\(\\d+\\) exceeds the maximum allowed \\((\\d+)");
  private static final Pattern QUOTED_TOKEN =
      Pattern.compile("^(?:Unrecognized token|Non-standard token) '(.*?)'(?::|$)", Pattern.DOTALL);
  private static final Pattern DUPLICATE =
      Pattern.compile("^Duplicate field '(.*)'$", Pattern.DOTALL);
  private static final Pattern CHARACTER =
      Pattern.compile("^Unexpected character \\('.*?' \\(code (\\d+)\\)\\)", Pattern.DOTALL);
  private static final Pattern CONTROL =
      Pattern.compile("^Illegal (unquoted )?character \\(\\(CTRL-CHAR, code (\\d+)\\)\\)");
  private static final Pattern ESCAPE =
      Pattern.compile("^Unrecognized character escape '.*?' \\(code (\\d+)\\)", Pattern.DOTALL);
  private static final Pattern CLOSE_MARKER =
      Pattern.compile("^Unexpected close marker '(.)'", Pattern.DOTALL);
  private static final Pattern OUT_OF_RANGE =
      Pattern.compile("^Numeric value \\((.*?)\\) out of range", Pattern.DOTALL);

  private JsonProblems() {}

  /**
   * One line saying what is wrong, and where when the parser knows: a syntax error and its line and
   * column, a limit of the reader exceeded (nesting, string, name or number length), an unknown
   * field, a field of the wrong type or out of range.
   */
  public static String describe(JacksonException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof StreamConstraintsException limit) {
        return limitExceeded(limit.getOriginalMessage());
      }
    }
    if (e instanceof UnrecognizedPropertyException unknown) {
      return "unknown field " + quoted(unknown.getPropertyName());
    }
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof InputCoercionException coercion) {
        return outOfRange(e, coercion);
      }
      if (cause instanceof StreamReadException syntax) {
        String message = String.valueOf(syntax.getOriginalMessage());
        return syntax(message) + at(syntax.getLocation()) + hint(message);
      }
    }
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      String field = quoted(fieldPath(mapping));
      String kind =
          mapping instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null
              ? kind(mismatch.getTargetType())
              : null;
      return kind == null
          ? "field " + field + " has a value of the wrong type"
          : "field " + field + " must be " + kind;
    }
    return "malformed JSON" + at(e.getLocation());
  }

  /** A syntax error, from the parser's message: the kinds a hand-written or cut text has. */
  private static String syntax(String message) {
    if (message.startsWith("Unexpected end-of-input")) {
      if (message.contains("VALUE_STRING") || message.contains("string value")) {
        return "the JSON ends inside a string";
      }
      if (message.contains("field name")) {
        return "the JSON ends inside a field name";
      }
      if (message.contains("Object")) {
        return "the JSON ends inside an object";
      }
      if (message.contains("Array")) {
        return "the JSON ends inside a list";
      }
      return "the JSON ends early";
    }
    Matcher token = QUOTED_TOKEN.matcher(message);
    if (token.find()) {
      return "unrecognized value " + quoted(token.group(1));
    }
    Matcher duplicate = DUPLICATE.matcher(message);
    if (duplicate.find()) {
      return "duplicate field " + quoted(duplicate.group(1));
    }
    Matcher character = CHARACTER.matcher(message);
    if (character.find()) {
      return "unexpected character " + character(Integer.parseInt(character.group(1)));
    }
    Matcher control = CONTROL.matcher(message);
    if (control.find()) {
      return String.format(
          Locale.ROOT,
          control.group(1) == null
              ? "a control character (U+%04X) outside a string"
              : "an unescaped control character (U+%04X) in a string",
          Integer.parseInt(control.group(2)));
    }
    Matcher escape = ESCAPE.matcher(message);
    if (escape.find()) {
      return "an unknown escape \\"
          + UntrustedText.escape(Character.toString(Integer.parseInt(escape.group(1))))
          + " in a string";
    }
    Matcher close = CLOSE_MARKER.matcher(message);
    if (close.find()) {
      return "unexpected '" + close.group(1) + "' closing what was not opened";
    }
    if (message.startsWith("Invalid numeric value: Leading zeroes")) {
      return "a number with a leading zero";
    }
    if (message.startsWith("Invalid numeric value")) {
      return "an invalid number";
    }
    if (message.startsWith("Invalid UTF-")) {
      return "text that is not UTF-8";
    }
    return "malformed JSON";
  }

  /** What the parser expected instead of an unexpected character, when it says; else "". */
  private static String hint(String message) {
    if (!CHARACTER.matcher(message).find()) {
      return "";
    }
    if (message.contains("double-quote to start field name")) {
      return ", expected a field name in double quotes";
    }
    if (message.contains("a colon to separate")) {
      return ", expected a colon after the field name";
    }
    if (message.contains("comma to separate Object entries")) {
      return ", expected a comma or '}'";
    }
    if (message.contains("comma to separate Array entries")) {
      return ", expected a comma or ']'";
    }
    if (message.contains("comment")) {
      return ": JSON has no comments";
    }
    if (message.contains("hex-digit for character escape")) {
      return " in a \\u escape, expected a hex digit";
    }
    if (message.contains("in numeric value")) {
      return " in a number";
    }
    if (message.contains("expected a valid value")) {
      return ", expected a value";
    }
    return "";
  }

  private static String limitExceeded(@Nullable String message) {
    Matcher limit = LIMIT.matcher(String.valueOf(message));
    if (!limit.find()) {
      return "the JSON exceeds its reader's limits";
    }
    String what = limit.group(1);
    String most = limit.group(2);
    if (what.startsWith("Document nesting depth")) {
      return "JSON nested deeper than " + most + " levels";
    }
    if (what.startsWith("String value length")) {
      return "a string longer than " + most + " characters";
    }
    if (what.startsWith("Name length")) {
      return "a field name longer than " + most + " characters";
    }
    if (what.startsWith("Number")) {
      return "a number longer than " + most + " characters";
    }
    if (what.startsWith("Document length")) {
      return "JSON longer than " + most + " bytes";
    }
    return "the JSON exceeds its reader's limits";
  }

  private static String outOfRange(JacksonException e, InputCoercionException coercion) {
    Class<?> target = coercion.getTargetType();
    String range =
        target == Long.class || target == long.class
            ? Long.MIN_VALUE + " to " + Long.MAX_VALUE
            : Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
    Matcher value = OUT_OF_RANGE.matcher(String.valueOf(coercion.getOriginalMessage()));
    String was = value.find() ? ", was " + UntrustedText.escape(value.group(1), MAX_QUOTED) : "";
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      return "field " + quoted(fieldPath(mapping)) + " must be an integer from " + range + was;
    }
    return "a number out of range (" + range + ")" + was + at(coercion.getLocation());
  }

  private static String at(@Nullable JsonLocation location) {
    if (location == null || location.getLineNr() < 0 || location.getColumnNr() < 0) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(
            step ->
                step.getFieldName() != null ? step.getFieldName() : String.valueOf(step.getIndex()))
        .collect(Collectors.joining("."));
  }

  private static @Nullable String kind(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Map.class.isAssignableFrom(type)) {
      return "an object of strings";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    }
    return null;
  }

  private static String character(int code) {
    return "'" + UntrustedText.escape(Character.toString(code)) + "'";
  }

  private static String quoted(@Nullable String text) {
    return "\"" + UntrustedText.escape(text, MAX_QUOTED) + "\"";
  }
}
