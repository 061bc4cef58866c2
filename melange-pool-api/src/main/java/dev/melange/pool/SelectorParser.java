package dev.melange.pool;

import dev.melange.pool.Selector.Operator;
import dev.melange.pool.Selector.Requirement;
import dev.melange.pool.internal.DisplayText;
import java.util.ArrayList;
import java.util.List;

/**
 * A recursive-descent parser for Kubernetes' label-selector syntax. A word is a run of characters
 * other than white space and {@code , ( ) = !}; {@code in} and {@code notin} are operators only
 * where an operator may stand.
 */
final class SelectorParser {
  private final String text;
  private int pos;

  SelectorParser(String text) {
    this.text = text;
  }

  List<Requirement> parse() {
    List<Requirement> requirements = new ArrayList<>();
    skipSpace();
    if (atEnd()) {
      return requirements;
    }
    while (true) {
      requirements.add(requirement());
      skipSpace();
      if (atEnd()) {
        return requirements;
      }
      expect(',', "',' or the end");
    }
  }

  private Requirement requirement() {
    skipSpace();
    if (peek() == '!') {
      pos++;
      return new Requirement(key(), Operator.DOES_NOT_EXIST, List.of());
    }
    String key = key();
    skipSpace();
    if (atEnd() || peek() == ',') {
      return new Requirement(key, Operator.EXISTS, List.of());
    }
    char next = peek();
    if (next == '=') {
      pos++;
      if (peek() == '=') {
        pos++;
      }
      return new Requirement(key, Operator.EQUALS, List.of(value()));
    }
    if (next == '!') {
      pos++;
      expect('=', "'=' after '!'");
      return new Requirement(key, Operator.NOT_EQUALS, List.of(value()));
    }
    int wordStart = pos;
    String word = word();
    if (word.equals("in")) {
      return new Requirement(key, Operator.IN, valueSet());
    }
    if (word.equals("notin")) {
      return new Requirement(key, Operator.NOT_IN, valueSet());
    }
    pos = wordStart;
    throw error("expected one of '=', '==', '!=', 'in', 'notin', ',' or the end");
  }

  private String key() {
    skipSpace();
    String key = word();
    if (key.isEmpty()) {
      throw error("expected a label key");
    }
    return key;
  }

  /** A value after {@code =}, {@code ==} or {@code !=}; it may be empty, as in Kubernetes. */
  private String value() {
    skipSpace();
    return word();
  }

  private List<String> valueSet() {
    skipSpace();
    expect('(', "'(' to open the set of values");
    List<String> values = new ArrayList<>();
    while (true) {
      skipSpace();
      int start = pos;
      String value = word();
      skipSpace();
      if (value.isEmpty() && !atEnd() && peek() == ')' && values.isEmpty()) {
        pos = start;
        throw error("expected at least one value");
      }
      values.add(value);
      if (!atEnd() && peek() == ')') {
        pos++;
        return values;
      }
      expect(',', "',' or ')'");
    }
  }

  private String word() {
    int start = pos;
    while (!atEnd() && !isDelimiter(text.charAt(pos))) {
      pos++;
    }
    return text.substring(start, pos);
  }

  private static boolean isDelimiter(char c) {
    return Character.isWhitespace(c) || c == ',' || c == '(' || c == ')' || c == '=' || c == '!';
  }

  private void expect(char c, String expected) {
    if (atEnd() || peek() != c) {
      throw error("expected " + expected);
    }
    pos++;
  }

  private char peek() {
    return atEnd() ? '\0' : text.charAt(pos);
  }

  private boolean atEnd() {
    return pos >= text.length();
  }

  private void skipSpace() {
    while (!atEnd() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private IllegalArgumentException error(String expected) {
    String found =
        atEnd() ? "the end" : "'" + DisplayText.shown(String.valueOf(text.charAt(pos))) + "'";
    return new IllegalArgumentException(
        "invalid selector "
            + DisplayText.quoted(text)
            + ": "
            + expected
            + ", found "
            + found
            + " at column "
            + (pos + 1));
  }
}
