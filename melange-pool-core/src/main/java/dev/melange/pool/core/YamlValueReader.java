package dev.melange.pool.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
final class YamlValueReader {

  private static final int MAX_SHOWN_LENGTH = 60;

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

  /** A YAML boolean ({@code true} or {@code false}); null when it is not, which is reported. */
  @Nullable Boolean bool(Node node, String path) {
    if (!(node instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.BOOL)) {
      problems.add(node, path, "must be true or false, was " + describe(node));
      return null;
    }
    return Boolean.valueOf(scalar.getValue().toLowerCase(Locale.ROOT));
  }

  /**
   * A YAML integer from 0 to {@code max}; null when it is not, which is reported. A quoted number
   * is a string, not an integer.
   */
  @Nullable Integer nonNegativeInt(Node node, String path, int max) {
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
    if (negative && !digits.isEmpty()) {
      problems.add(node, path, "must be >= 0, was " + describe(node));
      return null;
    }
    long value = digits.isEmpty() ? 0 : digits.length() > 10 ? -1 : Long.parseLong(digits, radix);
    if (value < 0 || value > max) {
      problems.add(node, path, "must be <= " + max + ", was " + describe(node));
      return null;
    }
    return (int) value;
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

  /** Text cut to a length fit for a message: a key or a value may be megabytes long. */
  static String shown(String text) {
    return text.length() > MAX_SHOWN_LENGTH ? text.substring(0, MAX_SHOWN_LENGTH) + "..." : text;
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
