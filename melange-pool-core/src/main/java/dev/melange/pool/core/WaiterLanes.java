package dev.melange.pool.core;

import dev.melange.pool.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/**
 * The callers waiting, one FIFO lane per base {@link Priority}, and the order in which a drain
 * offers them slots: the highest effective priority first, the earliest arrival among equals. Not
 * thread-safe: {@link WaitQueue} holds its lock around every use.
 *
 * <p>Implementation notes for maintainers. A waiter's effective level is its base level plus one
 * for each full aging period it has waited, at most {@link Priority#CRITICAL}. Within one lane
 * every waiter has the same base, and an older one has waited at least as long as a newer one
 * (arrival times are read under the queue's lock, in arrival order, from a ticker that does not go
 * backwards), so each lane is already in service order: effective level descending, arrival
 * ascending. The service order of all waiters is therefore a merge of the lanes' heads, which
 * visits n waiters at four comparisons each, with no sort, and keeps each lane's own iterator for
 * removing the waiter just visited. The aging period may change between drains (a reload): any
 * period keeps every lane in order, since the order only needs older waiters to have waited longer.
 */
final class WaiterLanes {
  private static final Priority[] LEVELS = Priority.values();
  private static final int TOP_LEVEL = LEVELS.length - 1;

  /** Indexed by {@link Priority#ordinal()}: lowest first. */
  private final List<ArrayDeque<Waiter>> lanes = new ArrayList<>(LEVELS.length);

  /** The next arrival number: orders waiters of equal effective priority across lanes. */
  private long nextArrival;

  private int size;

  WaiterLanes() {
    for (int level = 0; level < LEVELS.length; level++) {
      lanes.add(new ArrayDeque<>());
    }
  }

  /** Queues a waiter behind the others of its base priority, arrived now. */
  void add(Waiter waiter, long nowNanos) {
    waiter.arrival = nextArrival++;
    waiter.arrivedAtNanos = nowNanos;
    lanes.get(level(waiter.priority)).addLast(waiter);
    size++;
  }

  /** Forgets a waiter; false if it was not queued. */
  boolean remove(Waiter waiter) {
    if (lanes.get(level(waiter.priority)).remove(waiter)) {
      size--;
      return true;
    }
    return false;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Empties the lanes, returning every waiter that was queued. */
  List<Waiter> removeAll() {
    List<Waiter> all = new ArrayList<>(size);
    for (ArrayDeque<Waiter> lane : lanes) {
      all.addAll(lane);
      lane.clear();
    }
    size = 0;
    return all;
  }

  /**
   * The waiters in service order as of {@code nowNanos}, with {@link Iterator#remove()} to take the
   * one last returned out of its lane. The lanes must not change otherwise while it is in use.
   *
   * @param agingNanos how long a waiter waits for each level it rises; positive
   */
  Iterator<Waiter> inServiceOrder(long nowNanos, long agingNanos) {
    return new ServiceOrder(nowNanos, agingNanos);
  }

  /** A priority's lane: 0 for LOW up to 3 for CRITICAL. */
  static int level(Priority priority) {
    return switch (priority) {
      case LOW -> 0;
      case NORMAL -> 1;
      case HIGH -> 2;
      case CRITICAL -> 3;
    };
  }

  /** {@code waiter}'s level ({@link #level}) once it has waited until {@code now}. */
  static int effectiveLevel(Waiter waiter, long nowNanos, long agingNanos) {
    int base = level(waiter.priority);
    long waited = nowNanos - waiter.arrivedAtNanos; // a difference: tickers may wrap around
    if (base == TOP_LEVEL || waited < agingNanos) {
      return base;
    }
    return (int) Math.min(TOP_LEVEL, base + waited / agingNanos);
  }

  /**
   * A merge of the lanes: each lane's iterator stands on its head, the next waiter of that lane not
   * yet returned; {@code next()} returns the best head, and only the next call after it moves that
   * lane's iterator on, so that {@code remove()} still removes the waiter returned.
   */
  private final class ServiceOrder implements Iterator<Waiter> {
    private final long nowNanos;
    private final long agingNanos;
    private final List<Iterator<Waiter>> cursors = new ArrayList<>(LEVELS.length);
    private final @Nullable Waiter[] heads = new Waiter[LEVELS.length];
    private final int[] levels = new int[LEVELS.length];

    /** The lane whose head was returned last and has not moved on yet; -1 if none. */
    private int returned = -1;

    private boolean removable;

    ServiceOrder(long nowNanos, long agingNanos) {
      this.nowNanos = nowNanos;
      this.agingNanos = agingNanos;
      for (int lane = 0; lane < LEVELS.length; lane++) {
        cursors.add(lanes.get(lane).iterator());
        moveOn(lane);
      }
    }

    @Override
    public boolean hasNext() {
      for (int lane = 0; lane < LEVELS.length; lane++) {
        if (lane == returned ? cursors.get(lane).hasNext() : heads[lane] != null) {
          return true;
        }
      }
      return false;
    }

    @Override
    public Waiter next() {
      if (returned >= 0) {
        moveOn(returned);
      }
      int best = -1;
      Waiter bestHead = null;
      for (int lane = LEVELS.length - 1; lane >= 0; lane--) {
        Waiter head = heads[lane];
        if (head != null
            && (bestHead == null
                || levels[lane] > levels[best]
                || (levels[lane] == levels[best] && head.arrival < bestHead.arrival))) {
          best = lane;
          bestHead = head;
        }
      }
      if (bestHead == null) {
        throw new NoSuchElementException();
      }
      returned = best;
      removable = true;
      return bestHead;
    }

    @Override
    public void remove() {
      if (!removable) {
        throw new IllegalStateException("remove() without a next() before it");
      }
      removable = false;
      cursors.get(returned).remove();
      size--;
    }

    /** Steps lane {@code lane}'s iterator to its next waiter, or marks the lane done. */
    private void moveOn(int lane) {
      Iterator<Waiter> cursor = cursors.get(lane);
      if (cursor.hasNext()) {
        Waiter head = cursor.next();
        heads[lane] = head;
        levels[lane] = effectiveLevel(head, nowNanos, agingNanos);
      } else {
        heads[lane] = null;
      }
      if (lane == returned) {
        returned = -1;
      }
    }
  }
}
