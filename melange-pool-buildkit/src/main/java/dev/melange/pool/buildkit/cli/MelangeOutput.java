package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** How melange's CLI prints lists and labels, so that scripts reading it keep working. */
final class MelangeOutput {
  private MelangeOutput() {}

  /** Go's {@code %v} of a slice of strings: {@code [x86_64 aarch64]}. */
  static String goList(Iterable<String> items) {
    return "[" + String.join(" ", items) + "]";
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
    sorted.forEach((key, value) -> pairs.add(key + "=" + value));
    return String.join(separator, pairs);
  }
}
