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
 * since callers may build selectors freely); {@link Topology} keeps the most recent answer in front
 * of this cache.
 */
final class ArchGroup {
  /** Enough distinct selectors for any real scheduler; beyond it, the least used are recomputed. */
  private static final int MAX_CACHED_SELECTORS = 1024;

  final Slot[] slots;
  final List<Backend> backends;
  private final Cache<Selector, Matches> matchesBySelector =
      Caffeine.newBuilder().maximumSize(MAX_CACHED_SELECTORS).build();
  private final Function<Selector, Matches> computeMatches = this::computeMatches;
  private final String arch;
  private final Matches all;

  ArchGroup(String arch, List<Slot> slots) {
    this.arch = arch;
    this.slots = slots.toArray(new Slot[0]);
    List<Backend> list = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      list.add(slot.backend);
    }
    this.backends = List.copyOf(list);
    this.all = Matches.of(arch, Selector.any(), slots);
  }

  /** The slots whose labels match, in configuration order (possibly none), with the question. */
  Matches matches(Selector selector) {
    return selector.isEmpty() ? all : matchesBySelector.get(selector, computeMatches);
  }

  private Matches computeMatches(Selector selector) {
    List<Slot> matching = new ArrayList<>();
    for (Slot slot : slots) {
      if (selector.matches(slot.backend.labels())) {
        matching.add(slot);
      }
    }
    return Matches.of(arch, selector, matching);
  }

  /**
   * An answer: the candidates for one arch and selector, primaries and backups apart, each in
   * configuration order. Immutable, so it may be shared racily.
   */
  static final class Matches {
    static final Matches NONE =
        new Matches("", Selector.any(), CandidateList.EMPTY, CandidateList.EMPTY);

    final String arch;
    final Selector selector;

    /** The candidates tried first. */
    final CandidateList primaries;

    /** {@code primaries.slots}, one dependent load nearer for the acquire path. */
    final Slot[] primarySlots;

    /** Whether there are backups to try when no primary can take a lease. */
    final boolean hasBackups;

    /** No candidate at all: a field, so the acquire path asks it with one load. */
    private final boolean empty;

    /** The candidates tried only when no primary can take a lease. */
    final CandidateList backups;

    private Matches(
        String arch, Selector selector, CandidateList primaries, CandidateList backups) {
      this.arch = arch;
      this.selector = selector;
      this.primaries = primaries;
      this.primarySlots = primaries.slots;
      this.backups = backups;
      this.hasBackups = !backups.isEmpty();
      this.empty = primaries.isEmpty() && !hasBackups;
    }

    static Matches of(String arch, Selector selector, List<Slot> slots) {
      List<Slot> primaries = new ArrayList<>(slots.size());
      List<Slot> backups = new ArrayList<>();
      for (Slot slot : slots) {
        (slot.backend.backup() ? backups : primaries).add(slot);
      }
      return new Matches(
          arch,
          selector,
          new CandidateList(primaries),
          backups.isEmpty() ? CandidateList.EMPTY : new CandidateList(backups));
    }

    boolean answers(String arch, Selector selector) {
      return this.arch.equals(arch) && this.selector.equals(selector);
    }

    boolean isEmpty() {
      return empty;
    }
  }
}
