package dev.melange.pool.examples;

import dev.melange.pool.BackendPool;
import dev.melange.pool.PoolEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The pool's events, kept in the order they came, for the demo's story: its steps wait for the pool
 * to react, and its report lists them.
 */
final class EventLog implements AutoCloseable {
  private final List<PoolEvent> events = new ArrayList<>(); // guarded by this
  private final AutoCloseable subscription;

  EventLog(BackendPool pool) {
    subscription = pool.subscribe(this::add);
  }

  private synchronized void add(PoolEvent event) {
    events.add(event);
    notifyAll();
  }

  /** Every event so far, in order. */
  synchronized List<PoolEvent> events() {
    return List.copyOf(events);
  }

  /** How many events came so far: a mark for {@link #await}. */
  synchronized int mark() {
    return events.size();
  }

  /**
   * Waits for an event that matches, counting those that came since the mark.
   *
   * @return whether one came before the timeout
   */
  synchronized boolean await(int mark, Predicate<PoolEvent> wanted, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (events.subList(mark, events.size()).stream().noneMatch(wanted)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot unsubscribe from the pool", e);
    }
  }
}
