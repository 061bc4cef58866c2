package dev.melange.pool.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.melange.pool.Backend;
import dev.melange.pool.Selector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
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

  /** Its backends that build natively, then those that emulate it, each in configuration order. */
  final Slot[] slots;

  /** The backends that build natively, in configuration order. */
  final List<Backend> backends;

  private final Set<Slot> emulating;
  private final Cache<Selector, Matches> matchesBySelector =
      Caffeine.newBuilder().maximumSize(MAX_CACHED_SELECTORS).build();
  private final Function<Selector, Matches> computeMatches = this::computeMatches;
  private final String arch;
  private final Matches all;

  ArchGroup(String arch, List<Slot> natives, List<Slot> emulating) {
    this.arch = arch;
    List<Slot> both = new ArrayList<>(natives);
    both.addAll(emulating);
    this.slots = both.toArray(new Slot[0]);
    this.emulating = Collections.newSetFromMap(new IdentityHashMap<>());
    this.emulating.addAll(emulating);
    List<Backend> list = new ArrayList<>(natives.size());
    for (Slot slot : natives) {
      list.add(slot.placedBackend());
    }
    this.backends = List.copyOf(list);
    this.all = computeMatches(Selector.any());
  }

  /** The slots whose labels match, in configuration order (possibly none), with the question. */
  Matches matches(Selector selector) {
    return selector.isEmpty() ? all : matchesBySelector.get(selector, computeMatches);
  }

  private Matches computeMatches(Selector selector) {
    List<Slot> primaries = new ArrayList<>(slots.length);
    List<Slot> backups = new ArrayList<>();
    List<Slot> emulated = new ArrayList<>();
    for (Slot slot : slots) {
      if (selector.matches(slot.backend.labels())) {
        (emulating.contains(slot) ? emulated : slot.backend.backup() ? backups : primaries)
            .add(slot);
      }
    }
    return new Matches(arch, selector, list(primaries), list(backups), list(emulated));
  }

  private static CandidateList list(List<Slot> slots) {
    return slots.isEmpty() ? CandidateList.EMPTY : new CandidateList(slots);
  }

  /**
   * An answer: the candidates for one arch and selector in three tiers (primaries, backups, and
   * backends of other archs that emulate this one), each in configuration order. Immutable, so it
   * may be shared racily.
   */
  static final class Matches {
    static final Matches NONE =
        new Matches(
            "", Selector.any(), CandidateList.EMPTY, CandidateList.EMPTY, CandidateList.EMPTY);

    final String arch;
    final Selector selector;

    /** The candidates tried first. */
    final CandidateList primaries;

    /** {@code primaries.slots}, one dependent load nearer for the acquire path. */
    final Slot[] primarySlots;

    /** Whether there are backups or emulating backends to try when no primary can take a lease. */
    final boolean hasBackups;

    /** No candidate at all: a field, so the acquire path asks it with one load. */
    private final boolean empty;

    /** The candidates tried only when no primary can take a lease. */
    final CandidateList backups;

    /** The backends of other archs that emulate this one: tried only when no native one can. */
    final CandidateList emulated;

    private Matches(
        String arch,
        Selector selector,
        CandidateList primaries,
        CandidateList backups,
        CandidateList emulated) {
      this.arch = arch;
      this.selector = selector;
      this.primaries = primaries;
      this.primarySlots = primaries.slots;
      this.backups = backups;
      this.emulated = emulated;
      this.hasBackups = !backups.isEmpty() || !emulated.isEmpty();
      this.empty = primaries.isEmpty() && !hasBackups;
    }

    boolean answers(String arch, Selector selector) {
      return this.arch.equals(arch) && this.selector.equals(selector);
    }

    boolean isEmpty() {
      return empty;
    }
  }
}
