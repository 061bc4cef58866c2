package dev.melange.pool.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.melange.pool.Backend;
import dev.melange.pool.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The slots of one architecture within one {@link Topology}, and which of them each selector
 * matches. Matching labels is kept off the hot path: the answer per selector is cached (bounded,
 * since callers may build selectors freely), and the most recent answer is kept in front of the
 * cache, so a scheduler that asks with the same selector again pays one equality check.
 */
final class ArchGroup {
  /** Enough distinct selectors for any real scheduler; beyond it, the least used are recomputed. */
  private static final int MAX_CACHED_SELECTORS = 1024;

  final Slot[] slots;
  final List<Backend> backends;
  private final Cache<Selector, Matches> matchesBySelector =
      Caffeine.newBuilder().maximumSize(MAX_CACHED_SELECTORS).build();
  private final Function<Selector, Matches> computeMatches = this::computeMatches;

  /** The last answer given; an immutable pair, so a racy overwrite is harmless. */
  private volatile Matches recent;

  ArchGroup(List<Slot> slots) {
    this.slots = slots.toArray(new Slot[0]);
    List<Backend> list = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      list.add(slot.backend);
    }
    this.backends = List.copyOf(list);
    this.recent = new Matches(Selector.any(), this.slots);
  }

  /** The slots whose labels match, in configuration order; possibly empty. */
  Slot[] candidates(Selector selector) {
    Matches last = recent;
    if (last.selector.equals(selector)) {
      return last.slots;
    }
    if (selector.isEmpty()) {
      return slots;
    }
    Matches matches = matchesBySelector.get(selector, computeMatches);
    recent = matches;
    return matches.slots;
  }

  private Matches computeMatches(Selector selector) {
    List<Slot> matching = new ArrayList<>();
    for (Slot slot : slots) {
      if (selector.matches(slot.backend.labels())) {
        matching.add(slot);
      }
    }
    return new Matches(selector, matching.toArray(new Slot[0]));
  }

  private static final class Matches {
    final Selector selector;
    final Slot[] slots;

    Matches(Selector selector, Slot[] slots) {
      this.selector = selector;
      this.slots = slots;
    }
  }
}
