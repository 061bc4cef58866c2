package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * A label selector in Kubernetes' syntax: which backends a job may run on. Immutable and
 * thread-safe; equal selectors (the same requirements in any order) are {@link #equals equal}, so a
 * selector can key a cache.
 *
 * <table>
 *   <caption>Syntax: requirements joined by commas, all of which must hold</caption>
 *   <tr><th>requirement</th><th>a backend matches when</th></tr>
 *   <tr><td>{@code k=v}, {@code k==v}</td><td>it has label {@code k} with value {@code v}</td></tr>
 *   <tr><td>{@code k!=v}</td><td>it has no label {@code k}, or one with another value</td></tr>
 *   <tr><td>{@code k in (a,b)}</td><td>it has label {@code k} with value {@code a} or {@code b}</td></tr>
 *   <tr><td>{@code k notin (a,b)}</td><td>it has no label {@code k}, or one with another value</td></tr>
 *   <tr><td>{@code k}</td><td>it has label {@code k}</td></tr>
 *   <tr><td>{@code !k}</td><td>it has no label {@code k}</td></tr>
 *   <tr><td>(empty)</td><td>always</td></tr>
 * </table>
 */
public final class Selector {
  private static final Selector ANY = new Selector(List.of());

  private final List<Requirement> requirements;
  private final int hash;

  private Selector(List<Requirement> requirements) {
    this.requirements = requirements;
    this.hash = requirements.hashCode();
  }

  /** The selector that matches every backend. */
  public static Selector any() {
    return ANY;
  }

  /**
   * The selector that requires each of the given labels to have exactly the given value, as
   * melange-server's {@code backend_selector} does.
   *
   * <p>Keys and values may hold any text, as labels may; a selector built here from text the
   * expression syntax cannot write (white space or any of {@code , ( ) = !}) still matches exactly,
   * but its {@link #toString()} does not parse back to it.
   *
   * @throws IllegalArgumentException for a blank key
   * @throws NullPointerException for a null key or value
   */
  public static Selector of(Map<String, String> required) {
    List<Requirement> requirements = new ArrayList<>(required.size());
    required.forEach(
        (key, value) -> {
          if (key == null || value == null) {
            throw new NullPointerException(
                "selector "
                    + (key == null ? "null" : DisplayText.shown(key))
                    + "="
                    + (value == null ? "null" : DisplayText.shown(value))
                    + ": null key or value");
          }
          if (key.isBlank()) {
            throw new IllegalArgumentException(
                "selector key must not be blank, was " + DisplayText.quoted(key));
          }
          requirements.add(new Requirement(key, Operator.EQUALS, List.of(value)));
        });
    return create(requirements);
  }

  /**
   * Parses a selector expression, for example {@code tier=high-memory,sandbox in (privileged)}.
   *
   * @throws IllegalArgumentException naming the expression, the 1-based column and what was
   *     expected there, for example {@code invalid selector "tier in (a": expected ',' or ')',
   *     found the end at column 11}
   */
  public static Selector parse(String expression) {
    return create(new SelectorParser(expression).parse());
  }

  /** Whether this selector matches every backend (it has no requirements). */
  public boolean isEmpty() {
    return requirements.isEmpty();
  }

  /** Whether a backend with these labels satisfies every requirement. */
  public boolean matches(Map<String, String> labels) {
    for (Requirement requirement : requirements) {
      if (!requirement.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other == this
        || (other instanceof Selector that
            && hash == that.hash
            && requirements.equals(that.requirements));
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** The canonical expression: requirements sorted, set values sorted, no spaces but after "in". */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (Requirement requirement : requirements) {
      if (out.length() > 0) {
        out.append(',');
      }
      requirement.appendTo(out);
    }
    return out.toString();
  }

  private static Selector create(List<Requirement> requirements) {
    if (requirements.isEmpty()) {
      return ANY;
    }
    Set<Requirement> canonical =
        new TreeSet<>(
            Comparator.comparing(Requirement::key)
                .thenComparing(Requirement::operator)
                // Element by element: joined into one string, (a,b) and a value "a\0b" would
                // compare equal and the set would silently drop one of the two requirements.
                .thenComparing(
                    requirement -> requirement.values().toArray(String[]::new),
                    (left, right) -> Arrays.compare(left, right)));
    canonical.addAll(requirements);
    return new Selector(List.copyOf(canonical));
  }

  enum Operator {
    EQUALS("="),
    NOT_EQUALS("!="),
    IN(" in "),
    NOT_IN(" notin "),
    EXISTS(""),
    DOES_NOT_EXIST("!");

    final String symbol;

    Operator(String symbol) {
      this.symbol = symbol;
    }
  }

  /** One requirement; set values are sorted and distinct. */
  record Requirement(String key, Operator operator, List<String> values) {
    Requirement {
      values = List.copyOf(new TreeSet<>(values));
    }

    boolean matches(Map<String, String> labels) {
      String value = labels.get(key);
      return switch (operator) {
        case EQUALS, IN -> value != null && values.contains(value);
        case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
        case EXISTS -> value != null;
        case DOES_NOT_EXIST -> value == null;
      };
    }

    void appendTo(StringBuilder out) {
      switch (operator) {
        case DOES_NOT_EXIST -> out.append('!').append(key);
        case EXISTS -> out.append(key);
        case EQUALS, NOT_EQUALS -> out.append(key).append(operator.symbol).append(values.get(0));
        case IN, NOT_IN ->
            out.append(key)
                .append(operator.symbol)
                .append('(')
                // "()" does not parse, so a set of just the empty value is written "(,)".
                .append(values.equals(List.of("")) ? "," : String.join(",", values))
                .append(')');
      }
    }
  }
}
