package dev.melange.pool.core.config;

import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.internal.DisplayText;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads typed configuration values out of composed YAML nodes. A bad value becomes a located
 * problem in {@link ConfigProblems} and a {@code null} result, so that the caller carries on and
 * the whole file is checked in one pass.
 *
 * <p>It never descends into a node further than the value it was asked for: a node graph built from
 * aliases may share (or even contain) itself, and the configuration's shape, not the graph, bounds
 * the walk.
 */
public final class YamlValueReader {

  private static final int MAX_SHOWN_LENGTH = 60;

  /** The core schema's decimal integers and finite floats, as snakeyaml-engine resolves them. */
  private static final Pattern DECIMAL_NUMBER =
      Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

  private static final Pattern INFINITY = Pattern.compile("[-+]?\\.(inf|Inf|INF)");
  private static final Pattern OCTAL_OR_HEX_INT = Pattern.compile("0o[0-7]+|0x[0-9a-fA-F]+");

  /** Octal or hex digits beyond which a number is surely beyond a double's range (2^1024). */
  private static final int MAX_RADIX_DIGITS = 400;

  private final ConfigProblems problems;

  YamlValueReader(ConfigProblems problems) {
    this.problems = problems;
  }

  /**
   * The values of the mapping's known keys, by key in source order. Keys that are not text, not in
   * {@code known}, or repeated are reported and left out.
   *
   * @param path where the mapping is, empty for the root
   */
  Map<String, Node> fields(MappingNode mapping, String path, List<String> known) {
    Map<String, Node> fields = new LinkedHashMap<>();
    for (NodeTuple entry : entries(mapping, path)) {
      String key = keyText(entry);
      if (known.contains(key)) {
        fields.put(key, entry.getValueNode());
      } else {
        problems.add(
            entry.getKeyNode(), child(path, key), "unknown key, " + KeySuggestion.of(key, known));
      }
    }
    return fields;
  }

  /**
   * Every entry of a mapping, in source order. A key that is not a non-null scalar, or that repeats
   * an earlier one, is reported and left out; the rest have text keys.
   */
  List<NodeTuple> entries(MappingNode mapping, String path) {
    Set<String> seen = new HashSet<>();
    List<NodeTuple> entries = new ArrayList<>();
    for (NodeTuple entry : mapping.getValue()) {
      Node keyNode = entry.getKeyNode();
      if (!(keyNode instanceof ScalarNode) || isNull(keyNode)) {
        String where = path.isEmpty() ? "(root)" : path;
        problems.add(keyNode, where, "keys must be strings, was " + describe(keyNode));
      } else if (!seen.add(keyText(entry))) {
        problems.add(
            keyNode, child(path, keyText(entry)), "duplicate key " + shown(keyText(entry)));
      } else {
        entries.add(entry);
      }
    }
    return entries;
  }

  /**
   * The node of a required text value, or null when it is missing, which is reported. Null and
   * blank count as missing, as they do in melange-server.
   */
  @Nullable ScalarNode required(
      Map<String, Node> fields, String key, MappingNode mapping, String path) {
    Node node = fields.get(key);
    if (node == null) {
      problems.add(mapping, path, key + " is required");
      return null;
    }
    if (isNull(node) || (node instanceof ScalarNode scalar && scalar.getValue().isBlank())) {
      problems.add(node, path + "." + key, key + " is required");
      return null;
    }
    if (!(node instanceof ScalarNode scalar)) {
      problems.add(node, path + "." + key, "must be a string, was " + describe(node));
      return null;
    }
    return scalar;
  }

  /** A mapping entry's key, which {@link #entries} made sure is a scalar. */
  static String keyText(NodeTuple entry) {
    return ((ScalarNode) entry.getKeyNode()).getValue();
  }

  /**
   * A scalar's text, whatever it resolved to ({@code 1} and {@code true} are text too, as in Go);
   * null for a null or a collection, which are reported.
   */
  @Nullable String text(Node node, String path) {
    if (node instanceof ScalarNode scalar && !isNull(node)) {
      return scalar.getValue();
    }
    problems.add(node, path, "must be a string, was " + describe(node));
    return null;
  }

  /**
   * A YAML boolean ({@code true} or {@code false}); null when it is not, which is reported. An
   * explicit {@code !!bool} tag may sit on any text, and YAML 1.1's {@code yes}, {@code no}, {@code
   * on} and {@code off} are no booleans in the 1.2 core schema (nor in melange-server's Go): {@code
   * !!bool yes} is refused, not read as false.
   */
  @Nullable Boolean bool(Node node, String path) {
    if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.BOOL)) {
      String text = scalar.getValue().toLowerCase(Locale.ROOT);
      if (text.equals("true") || text.equals("false")) {
        return Boolean.valueOf(text);
      }
    }
    problems.add(node, path, "must be true or false, was " + describe(node));
    return null;
  }

  /**
   * A YAML integer from {@code min} to {@code max}; null when it is not, which is reported. A
   * quoted number is a string, not an integer.
   *
   * @param min the least value allowed, at least 0
   */
  @Nullable Integer integer(Node node, String path, int min, int max) {
    if (!(node instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.INT)) {
      problems.add(node, path, "must be an integer, was " + describe(node));
      return null;
    }
    // The core schema resolved the tag, so the text is [-+]?[0-9]+, 0o[0-7]+ or 0x[0-9a-fA-F]+;
    // only an explicit !!int tag can put anything else here. The digits are checked, not parsed
    // whole, so that a megabyte of digits costs no more than reading it.
    String text = scalar.getValue();
    boolean negative = text.startsWith("-");
    String unsigned = negative || text.startsWith("+") ? text.substring(1) : text;
    int radix = 10;
    if (unsigned.startsWith("0x") || unsigned.startsWith("0o")) {
      radix = unsigned.charAt(1) == 'x' ? 16 : 8;
      unsigned = unsigned.substring(2);
    }
    String digits = stripLeadingZeros(unsigned);
    if (unsigned.isEmpty() || !allDigits(digits, radix)) {
      problems.add(node, path, "must be an integer, was " + describe(node));
      return null;
    }
    // Ten digits fit a long in any of the radixes; more are surely beyond max.
    long magnitude =
        digits.isEmpty()
            ? 0
            : digits.length() > 10 ? Long.MAX_VALUE : Long.parseLong(digits, radix);
    long value = negative ? -magnitude : magnitude;
    if (value < min) {
      problems.add(node, path, "must be >= " + min + ", was " + describe(node));
      return null;
    }
    if (value > max) {
      problems.add(node, path, "must be <= " + max + ", was " + describe(node));
      return null;
    }
    return (int) value;
  }

  /**
   * A finite YAML number, integer or float, of at least {@code min}; null when it is not, which is
   * reported. A quoted number is a string, not a number, and {@code .nan} is not a number either.
   */
  @Nullable Double finiteNumber(Node node, String path, int min) {
    Double value = node instanceof ScalarNode scalar ? numberValue(scalar) : null;
    if (value == null) {
      problems.add(node, path, "must be a number, was " + describe(node));
      return null;
    }
    if (value < min) {
      problems.add(node, path, "must be >= " + min + ", was " + describe(node));
      return null;
    }
    if (value.isInfinite()) {
      problems.add(node, path, "must be finite, was " + describe(node));
      return null;
    }
    return value;
  }

  /**
   * A percentage from 0 to 100: a plain number ({@code 50}, {@code 12.5}) or the same with a
   * percent sign ({@code 50%}); null when it is neither, which is reported. Every percentage
   * setting reads through here, so all take both forms.
   */
  @Nullable Double percentage(Node node, String path) {
    Double value = null;
    if (node instanceof ScalarNode scalar) {
      value = numberValue(scalar);
      String text = scalar.getValue();
      if (value == null
          && scalar.getTag().equals(Tag.STR)
          && text.endsWith("%")
          && DECIMAL_NUMBER.matcher(text.substring(0, text.length() - 1)).matches()) {
        value = Double.parseDouble(text.substring(0, text.length() - 1));
      }
    }
    if (value == null || value < 0 || value > 100) {
      problems.add(
          node, path, "must be a percentage from 0 to 100 (50 or 50%), was " + describe(node));
      return null;
    }
    return value;
  }

  /**
   * The value of an integer or float scalar written in the core schema's syntax, null for anything
   * else, NaN included. The syntax is checked again rather than trusted to the tag, because an
   * explicit {@code !!float} tag may sit on any text, and Java's parser takes more than YAML's
   * ({@code NaN}, {@code 1f}, {@code 0x1p3}).
   */
  private static @Nullable Double numberValue(ScalarNode scalar) {
    Tag tag = scalar.getTag();
    if (!tag.equals(Tag.INT) && !tag.equals(Tag.FLOAT)) {
      return null;
    }
    String text = scalar.getValue();
    if (DECIMAL_NUMBER.matcher(text).matches()) {
      // Linear in the length: the parser reads every digit but computes with the first few.
      return Double.parseDouble(text);
    }
    if (INFINITY.matcher(text).matches()) {
      return text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (OCTAL_OR_HEX_INT.matcher(text).matches()) {
      String digits = stripLeadingZeros(text.substring(2));
      if (digits.length() > MAX_RADIX_DIGITS) {
        return Double.POSITIVE_INFINITY; // beyond any double; BigInteger would be slow to say so
      }
      int radix = text.charAt(1) == 'x' ? 16 : 8;
      return digits.isEmpty() ? 0.0 : new BigInteger(digits, radix).doubleValue();
    }
    return null;
  }

  /**
   * A Go duration written as a string, such as {@code 30s}; null when it is not, which is reported.
   * A bare YAML number is refused even when it is 0, as melange-server refuses it: a unit is always
   * needed, and {@code "0"} in quotes is the way to write a unitless zero.
   */
  @Nullable Duration duration(Node node, String path) {
    if (!(node instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.STR)) {
      problems.add(node, path, "must be a duration such as 30s, was " + describe(node));
      return null;
    }
    try {
      return GoDuration.parse(scalar.getValue());
    } catch (IllegalArgumentException e) {
      problems.add(node, path, String.valueOf(e.getMessage()));
      return null;
    }
  }

  /**
   * What a node is, for a {@code was ...} message: a string in quotes, another scalar as written,
   * or the kind of collection.
   */
  static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a sequence";
    }
    if (isNull(node)) {
      return "null";
    }
    String text = shown(((ScalarNode) node).getValue());
    return node.getTag().equals(Tag.STR) ? '"' + text + '"' : text;
  }

  static boolean isNull(Node node) {
    return node.getTag().equals(Tag.NULL);
  }

  /** {@code path.key}, or just {@code key} at the root. */
  static String child(String path, String key) {
    return path.isEmpty() ? shown(key) : path + "." + shown(key);
  }

  /**
   * Text fit for a message, which may end up in a log or a terminal: as {@link DisplayText#shown}
   * shows it (control characters escaped, as {@code Backend} refuses them), cut after {@link
   * #MAX_SHOWN_LENGTH} characters, since a key or a value may be megabytes long.
   */
  public static String shown(String text) {
    return DisplayText.shown(text, MAX_SHOWN_LENGTH);
  }

  /** {@link #shown(String)}, cut after {@code max} characters. */
  public static String shown(String text, int max) {
    return DisplayText.shown(text, max);
  }

  private static String stripLeadingZeros(String digits) {
    int start = 0;
    while (start < digits.length() && digits.charAt(start) == '0') {
      start++;
    }
    return digits.substring(start);
  }

  private static boolean allDigits(String text, int radix) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c > 'z' || Character.digit(c, radix) < 0) {
        return false;
      }
    }
    return true;
  }
}
