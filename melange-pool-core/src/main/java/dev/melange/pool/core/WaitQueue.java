package dev.melange.pool.core;

import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.Selector;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.ArchGroup.Matches;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The callers waiting for a lease, in {@link WaiterLanes} by priority, and the hand-off of freed
 * slots to them: the waiter of the highest effective priority that can use a slot gets it, the
 * oldest among equals.
 *
 * <p>Implementation notes for maintainers. Waiting is the slow path and takes a lock; the release
 * path does not, unless someone waits or a backend drains: {@link #signal()} is one volatile read
 * of {@code watchers} (waiters plus drains) when there is neither. The ordering argument: a waiter
 * is added (a volatile write of {@code watchers}) before its own drain scans the slots, and a
 * release frees its slot (a volatile write) before reading {@code watchers}; volatiles are
 * sequentially consistent, so either the scan sees the freed slot or the release sees the waiter
 * and drains. The same holds for a drain that starts (it counts itself, then looks whether its
 * backend is idle) against the backend's last release.
 *
 * <p>The hand-off rule. A drain never blocks a releasing thread: it sets {@code drainRequested} and
 * drains only if it gets the lock with {@code tryLock}; when it does not, the request is left to
 * the thread that holds the lock. So <em>every</em> holder of {@code lock}, whatever it took the
 * lock for (a drain, a waiter queued or leaving on a timeout, cancellation or interrupt, a
 * re-check, the pool closing), must look at {@code drainRequested} after it unlocks and drain if it
 * is set: every holder leaves through {@link #unlock()}, but {@link #drain()}, whose loop looks at
 * the flag again after each unlock. A holder that left without looking lost the request, and a
 * waiter stayed queued beside a free slot until its timeout. The ordering: the requester writes
 * {@code drainRequested} (volatile) before its {@code tryLock} reads the lock held; the holder's
 * unlock (a volatile write) comes before its read of {@code drainRequested}; so a failed {@code
 * tryLock} always means the holder sees the request. A drain also re-checks the flag before
 * unlocking, so that freed slots are reserved before its completions run. Futures are completed
 * outside the lock, because completing runs the caller's dependent stages; a stage that releases a
 * lease may drain again from inside, but only {@link #MAX_NESTED_DRAINS} deep: beyond that the
 * drain further up the stack takes the request, so a chain of such stages cannot overflow the
 * stack.
 *
 * <p>A drain offers slots to the waiters one at a time in service order ({@link
 * WaiterLanes#inServiceOrder}): each tries the slots that those before it left, so a freed slot
 * goes to the first waiter in that order that can use it. A waiter whose candidate set (the
 * identical {@link Matches}) an earlier waiter of the same pass found unable to serve is skipped
 * without a scan. The skip is sound in priority order because it only ever withholds a slot, and
 * only from a waiter that comes after the one that found the set full: it never lets a waiter take
 * anything, so every slot taken was first offered to every waiter before the taker. What remains is
 * the race any release has with a drain already running: a slot freed during a pass, after an
 * earlier waiter's turn, can go to a later waiter of that pass whose candidate set contains it but
 * is not identical to the earlier one's (an identical set is skipped, so the slot waits for the
 * pass the release requests, which starts again from the top). First-come-first-served had the same
 * race between an older and a younger waiter.
 */
final class WaitQueue {
  private static final Logger log = LoggerFactory.getLogger(WaitQueue.class);

  /** How deep drains may nest on one thread through callbacks that release leases. */
  private static final int MAX_NESTED_DRAINS = 8;

  private static final ThreadLocal<int[]> NESTED_DRAINS = ThreadLocal.withInitial(() -> new int[1]);

  /**
   * What the queue asks of its pool: leases, candidates, errors and the timer. The queue knows its
   * pool only through this (as HikariCP's bag knows its pool only as a state listener), so it can
   * be driven without one.
   */
  interface Leasing {
    boolean isClosed();

    Ticker ticker();

    /** How long a waiter waits for each level its priority rises; positive. */
    long priorityAgingNanos();

    Topology topology();

    /** The backends that could serve a request for {@code arch} and {@code selector}, if any. */
    Matches candidatesOrEmpty(Topology current, String arch, Selector selector);

    /** A lease on one of {@code candidates} if one is free now, else null. */
    @Nullable PooledLease tryLease(Matches candidates, @Nullable String affinityKey);

    /** How long until a slow start or a rate limit may let one of {@code candidates} take more. */
    long nanosUntilRetry(Matches candidates);

    /** Tells a waiter whose time ran out (outside the queue's lock). */
    void timedOut(Waiter waiter);

    NoBackendAvailableException closedException();

    NoBackendAvailableException noCandidates(Topology current, String arch, Selector selector);

    /** Runs {@code task} after {@code delayNanos} on the pool's timer; null once closed. */
    @Nullable Future<?> schedule(Runnable task, long delayNanos);

    /** Finishes the drains whose backend holds no lease any more (outside the queue's lock). */
    void finishIdleDrains();
  }

  private final Leasing pool;

  /** Left through {@link #unlock()} (or in {@link #drain()}'s loop): the hand-off rule. */
  private final ReentrantLock lock;

  /** Guarded by {@code lock}. */
  private final WaiterLanes queue = new WaiterLanes();

  /**
   * Guarded by {@code lock}: the re-check for waiters held back by open circuits, while it has not
   * started; the task clears it when it starts, so that a drain it runs (or one it leaves to
   * another thread) schedules the next re-check if circuits are still open.
   */
  private @Nullable Future<?> recheck;

  /** Guarded by {@code lock}. */
  private long recheckAtNanos;

  /** Guarded by {@code lock}: tells the current re-check from ones replaced or cancelled. */
  private long recheckGeneration;

  /** Waiters queued; guarded by {@code lock} for writes. */
  private volatile int size;

  /**
   * Waiters queued plus backends draining: whether a release must look in. One field, so that the
   * release path stays one volatile read while nothing waits and nothing drains. Changed only by
   * atomic adds (the waiters' part under {@code lock}), so drains may count themselves from under
   * the pool's lock without taking this queue's.
   */
  private volatile int watchers;

  /** Backends draining, whose last release ends their drain; changed by atomic adds. */
  private volatile int draining;

  private static final VarHandle WATCHERS;
  private static final VarHandle DRAINING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WATCHERS = lookup.findVarHandle(WaitQueue.class, "watchers", int.class);
      DRAINING = lookup.findVarHandle(WaitQueue.class, "draining", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile boolean drainRequested;

  /**
   * @param lock a new lock, of the caller's making: tests pass one that lets them act while it is
   *     held
   */
  WaitQueue(Leasing pool, ReentrantLock lock) {
    this.pool = pool;
    this.lock = lock;
  }

  /**
   * Leaves the lock and honours the hand-off rule: a release that found the lock held left its
   * request to this holder, which now drains for it.
   */
  private void unlock() {
    lock.unlock();
    if (drainRequested) {
      drain();
    }
  }

  boolean isEmpty() {
    return size == 0;
  }

  /**
   * A slot may have become usable, or a draining backend idle: serve waiters if there are any, and
   * finish drains if any are under way.
   */
  void signal() {
    if (watchers != 0) {
      drain();
    }
  }

  /**
   * A backend started ({@code +1}) or ended ({@code -1}) draining: releases must look in while any
   * does. Call it under the pool's lock, where the drain itself starts or ends, so that the count
   * never runs ahead of the drains.
   */
  void watchDrains(int delta) {
    DRAINING.getAndAdd(this, delta);
    WATCHERS.getAndAdd(this, delta);
  }

  /** Guarded by {@code lock}. */
  private void updateSize() {
    int before = size;
    size = queue.size();
    WATCHERS.getAndAdd(this, size - before);
  }

  /**
   * Queues a waiter behind the others of its priority and serves the queue. Fails it if the pool is
   * closed.
   */
  void enqueue(Waiter waiter) {
    lock.lock();
    try {
      if (!pool.isClosed()) {
        // Read under the lock, so that arrival times follow the arrival order (WaiterLanes).
        queue.add(waiter, pool.ticker().read());
        updateSize();
      }
    } finally {
      unlock();
    }
    if (pool.isClosed()) {
      waiter.future.completeExceptionally(pool.closedException());
    }
    drain();
  }

  /** Forgets a waiter whose wait ended some other way (timeout, interrupt, cancellation). */
  void remove(Waiter waiter) {
    lock.lock();
    try {
      queue.remove(waiter);
      updateSize();
    } finally {
      unlock();
    }
  }

  /** Fails every waiter: the pool is closing. */
  void failAll() {
    List<Waiter> failed;
    lock.lock();
    try {
      failed = queue.removeAll();
      updateSize();
      Future<?> pending = recheck;
      if (pending != null) {
        pending.cancel(false);
        recheck = null;
      }
    } finally {
      unlock();
    }
    for (Waiter waiter : failed) {
      waiter.future.completeExceptionally(pool.closedException());
    }
  }

  void drain() {
    if (lock.isHeldByCurrentThread()) {
      // Called back from this thread's own drain, through tryLease giving back a slot it reserved
      // but could not use (a breaker refused the permit). That drain is still scanning and will
      // see the slot; a nested drain would edit the queue under its iterator, or recurse.
      return;
    }
    drainRequested = true;
    int[] depth = NESTED_DRAINS.get();
    if (depth[0] >= MAX_NESTED_DRAINS) {
      // A callback several completions deep released a lease: a drain further up this thread's
      // stack sees the request once its callbacks return. Draining here would nest one drain per
      // waiter served and overflow the stack.
      return;
    }
    depth[0]++;
    try {
      while (drainRequested && lock.tryLock()) {
        List<Runnable> completions = new ArrayList<>();
        try {
          // Requests that arrive while the lock is held are served before any callback runs, so
          // a freed slot is reserved for its waiter however long the callbacks take.
          do {
            drainRequested = false;
            drainLocked(completions);
          } while (drainRequested);
        } finally {
          lock.unlock();
          complete(completions);
        }
      }
    } finally {
      depth[0]--;
    }
  }

  /**
   * Completes futures outside the lock, each on its own: a failing one (a circuit breaker that
   * throws while a lost grant is given back) must not keep the others from their leases.
   */
  private static void complete(List<Runnable> completions) {
    for (Runnable completion : completions) {
      try {
        completion.run();
      } catch (RuntimeException | Error e) {
        log.warn("completing a waiter failed", e);
      }
    }
  }

  private void drainLocked(List<Runnable> completions) {
    Topology topology = pool.topology();
    // Candidate sets found full in this pass: later waiters (of no higher priority) with the same
    // set need not scan it again. A slot freed meanwhile requests another pass, so skipping loses
    // nothing; see the notes above on why it cannot serve a lower priority first.
    List<Matches> exhausted = new ArrayList<>();
    long nanosUntilRetry = Long.MAX_VALUE;
    long realNow = System.nanoTime(); // for the waiters' timeouts, which run in real time
    Iterator<Waiter> it =
        queue.isEmpty() // only backends draining: no need to read the clock
            ? Collections.emptyIterator()
            : queue.inServiceOrder(pool.ticker().read(), pool.priorityAgingNanos());
    while (it.hasNext()) {
      Waiter waiter = it.next();
      if (waiter.future.isDone()) {
        it.remove();
        continue;
      }
      if (waiter.expired(realNow)) {
        // Its timeout ran out but its timer task has not run (the timer is late, or busy with a
        // caller's slow stage): a lease now could go to a caller who stopped waiting, and leak.
        it.remove();
        completions.add(() -> pool.timedOut(waiter));
        continue;
      }
      Matches candidates;
      PooledLease lease;
      try {
        candidates = pool.candidatesOrEmpty(topology, waiter.arch, waiter.selector);
        if (candidates.isEmpty() || containsIdentical(exhausted, candidates)) {
          lease = null;
        } else {
          lease = pool.tryLease(candidates, waiter.affinityKey);
          if (lease == null) {
            exhausted.add(candidates);
            nanosUntilRetry = Math.min(nanosUntilRetry, pool.nanosUntilRetry(candidates));
          }
        }
      } catch (RuntimeException | Error e) {
        // A circuit breaker broke its contract by throwing: this waiter fails with it, the
        // others are served.
        it.remove();
        completions.add(() -> waiter.future.completeExceptionally(e));
        continue;
      }
      if (lease != null) {
        it.remove();
        RateLimitedCircuitBreaker limited = lease.slot.rateLimited();
        if (limited == null) {
          completions.add(() -> waiter.grant(lease));
        } else {
          long waited = pool.ticker().read() - waiter.arrivedAtNanos;
          completions.add(
              () -> {
                // Counted before the caller can see its lease (and the stats), taken back if the
                // wait ended first.
                limited.waited(waited);
                if (!waiter.grant(lease)) {
                  limited.waited(-waited);
                }
              });
        }
      } else if (candidates.isEmpty()) {
        it.remove();
        NoBackendAvailableException failure =
            pool.noCandidates(topology, waiter.arch, waiter.selector);
        completions.add(() -> waiter.future.completeExceptionally(failure));
      }
    }
    updateSize();
    if (!queue.isEmpty() && nanosUntilRetry != Long.MAX_VALUE) {
      scheduleRecheck(nanosUntilRetry);
    }
    if (draining > 0) {
      // Outside the lock, with the completions: finishing a drain takes the pool's lock.
      completions.add(pool::finishIdleDrains);
    }
  }

  /**
   * Open circuits recover with time, not with a release: wake the queue when the earliest one lets
   * a trial through. One re-check is pending at a time, the earliest needed.
   */
  private void scheduleRecheck(long delayNanos) {
    // A little late rather than early: the circuit must find its recovery time elapsed.
    long delay = delayNanos + TimeUnit.MILLISECONDS.toNanos(1);
    long at = pool.ticker().read() + delay;
    Future<?> pending = recheck;
    // Only one that has not started can stand in: a running one may already be past its drain.
    if (pending != null && recheckAtNanos - at <= 0) {
      return;
    }
    if (pending != null) {
      pending.cancel(false);
    }
    recheckAtNanos = at;
    long generation = ++recheckGeneration;
    recheck = pool.schedule(() -> recheck(generation), delay);
  }

  /** The timer's wake-up for open circuits that may have let a trial through by now. */
  private void recheck(long generation) {
    lock.lock();
    try {
      if (recheckGeneration == generation) {
        recheck = null;
      }
    } finally {
      unlock();
    }
    drain();
  }

  private static boolean containsIdentical(List<Matches> sets, Matches candidates) {
    for (Matches set : sets) {
      if (set == candidates) {
        return true;
      }
    }
    return false;
  }
}
