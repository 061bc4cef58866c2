package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.melange.pool.buildkit.server.UntrustedText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How melange's CLI prints lists and labels, so that scripts reading it keep working; and the one
 * way the commands turn a server's text into output: escaped ({@link UntrustedText}) and cut short,
 * so that an address, arch or label can neither forge a line nor drive the terminal.
 */
final class MelangeOutput {
  /** The most characters of one value printed: an address is at most 512. */
  static final int MAX_VALUE = 600;

  private MelangeOutput() {}

  /** A server's (or the command line's) text, safe to print. */
  static String printable(String text) {
    return UntrustedText.escape(text, MAX_VALUE);
  }

  /** A JSON value's text, safe to print. */
  static String printable(JsonNode value) {
    return printable(value.asText());
  }

  /** Go's {@code %v} of a slice of strings: {@code [x86_64 aarch64]}. */
  static String goList(Iterable<String> items) {
    List<String> printable = new ArrayList<>();
    items.forEach(item -> printable.add(printable(item)));
    return "[" + String.join(" ", printable) + "]";
  }

  static String goList(JsonNode array) {
    List<String> items = new ArrayList<>();
    array.forEach(item -> items.add(item.asText()));
    return goList(items);
  }

  /**
   * Labels as {@code k=v} joined by {@code separator}, sorted by key so the output is stable (Go's
   * map order is random); {@code -} when there are none.
   */
  static String labels(JsonNode labels, String separator) {
    Map<String, String> sorted = new TreeMap<>();
    labels.properties().forEach(label -> sorted.put(label.getKey(), label.getValue().asText()));
    if (sorted.isEmpty()) {
      return "-";
    }
    List<String> pairs = new ArrayList<>();
    sorted.forEach((key, value) -> pairs.add(printable(key) + "=" + printable(value)));
    return String.join(separator, pairs);
  }
}
