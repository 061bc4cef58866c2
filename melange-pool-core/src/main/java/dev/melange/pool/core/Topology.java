package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of the pool's backends: the slots in configuration order, grouped per
 * architecture. The pool publishes a new one on every add or remove; acquirers read whichever is
 * current with one volatile read and never see a half-made change.
 */
final class Topology {
  final Slot[] slots;
  final List<Backend> backends;
  final List<String> architectures;

  /** A long: 3,000 backends of a million jobs each overflow an int. */
  final long totalCapacity;

  private final Map<String, ArchGroup> groups;

  /**
   * The most recent answer of {@link #candidates}, so that a scheduler asking the same question
   * again skips the map and the cache: three dependent loads instead of eight. A plain field:
   * answers are immutable with final fields, so a racy read sees a whole one, and a lost write only
   * costs a lookup.
   */
  private ArchGroup.@Nullable Matches recent;

  Topology(List<Slot> ordered) {
    this.slots = ordered.toArray(new Slot[0]);
    List<Backend> all = new ArrayList<>(slots.length);
    Map<String, List<Slot>> byArch = new LinkedHashMap<>();
    Map<String, List<Slot>> emulating = new LinkedHashMap<>();
    long capacity = 0;
    for (Slot slot : slots) {
      String arch = slot.arch;
      all.add(slot.placedBackend());
      capacity += slot.configuredMaxJobs();
      if (arch.isEmpty()) {
        continue; // its probe has not named its arch yet: no request can reach it
      }
      byArch.computeIfAbsent(arch, key -> new ArrayList<>()).add(slot);
      for (String emulated : slot.emulatedArchs()) {
        emulating.computeIfAbsent(emulated, key -> new ArrayList<>()).add(slot);
      }
    }
    this.backends = List.copyOf(all);
    this.totalCapacity = capacity;
    Set<String> archs = new LinkedHashSet<>(byArch.keySet());
    archs.addAll(emulating.keySet());
    this.architectures = List.copyOf(archs);
    Map<String, ArchGroup> grouped = new HashMap<>();
    for (String arch : archs) {
      grouped.put(
          arch,
          new ArchGroup(
              arch, byArch.getOrDefault(arch, List.of()), emulating.getOrDefault(arch, List.of())));
    }
    this.groups = grouped;
  }

  /** The slots of {@code arch} whose labels match, primaries and backups; possibly none. */
  ArchGroup.Matches candidates(String arch, Selector selector) {
    ArchGroup.Matches last = recent;
    if (last != null && last.answers(arch, selector)) {
      return last;
    }
    ArchGroup group = groups.get(arch);
    if (group == null) {
      return ArchGroup.Matches.NONE;
    }
    ArchGroup.Matches matches = group.matches(selector);
    recent = matches;
    return matches;
  }

  /** The backends of one architecture, or null if none has it. */
  @Nullable ArchGroup group(String arch) {
    return groups.get(arch);
  }

  /** A copy of the slots with one more at the end. */
  Topology with(Slot added) {
    List<Slot> next = new ArrayList<>(List.of(slots));
    next.add(added);
    return new Topology(next);
  }

  /** A copy of the slots without one. */
  Topology without(Slot removed) {
    List<Slot> next = new ArrayList<>(slots.length);
    for (Slot slot : slots) {
      if (slot != removed) {
        next.add(slot);
      }
    }
    return new Topology(next);
  }

  boolean contains(Slot slot) {
    for (Slot each : slots) {
      if (each == slot) {
        return true;
      }
    }
    return false;
  }

  /** The slot of the backend at {@code addr}, compared in canonical form; null when none. */
  @Nullable Slot find(String addr) {
    String key = AddressKeys.of(addr);
    for (Slot slot : slots) {
      if (slot.backend.addr().equals(key)) {
        return slot;
      }
    }
    return null;
  }
}
