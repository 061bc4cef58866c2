package dev.melange.pool.core.config;

import java.util.List;
import java.util.Locale;

/**
 * The hint after {@code unknown key}: the known key the writer most likely meant ({@code did you
 * mean maxJobs?}) when one is close, else the list of known keys. Close means equal but for case,
 * or at most two edits away, which catches {@code maxjobs}, {@code maxJob} and {@code lables}
 * without suggesting {@code arch} for {@code addr}.
 */
public final class KeySuggestion {

  private static final int MAX_EDITS = 2;

  private KeySuggestion() {}

  public static String of(String unknown, List<String> known) {
    String wanted = unknown.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String candidate : known) {
      int distance = distance(wanted, candidate.toLowerCase(Locale.ROOT));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    if (best != null) {
      return "did you mean " + best + "?";
    }
    return "expected one of " + String.join(", ", known);
  }

  /** Levenshtein distance, or {@code MAX_EDITS + 1} when it is surely larger than that. */
  private static int distance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > MAX_EDITS) {
      return MAX_EDITS + 1; // also keeps a megabyte-long key from costing a megabyte of work
    }
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
