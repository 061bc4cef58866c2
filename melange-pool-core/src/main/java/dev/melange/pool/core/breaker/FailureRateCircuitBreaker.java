package dev.melange.pool.core.breaker;

import dev.melange.pool.CallStats;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.time.Durations;
import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The {@code failure-rate} breaker ({@link CircuitBreakerPolicy.FailureRate}): outcomes of leases
 * over a rolling time window open the circuit by failure rate, slow-lease rate or an absolute count
 * of failures; a half-open circuit admits a number of trials and closes when all succeed; each
 * re-open in a row waits longer (backoff).
 *
 * <p>Implementation notes. The state is one {@code long}, changed by compare-and-set, as in {@link
 * ConsecutiveFailuresCircuitBreaker}: bits 0–31 the epoch (every transition between closed and open
 * starts a new one), 32–41 trials taken, 42–51 trials succeeded, 52–59 re-opens in a row
 * (saturating), bit 60 half-opened (a trial was taken in this epoch: it stays half-open, as its
 * listener heard, though trials that end with no outcome free their places), bit 63 open. Closed,
 * the word is the epoch: non-negative, and nothing else set.
 *
 * <p>Each epoch begins with a {@link Phase}, published by the thread whose compare-and-set began
 * it, right after it (and only over an older phase, so a delayed writer never hides a newer one):
 * the epoch, when it began (a ticker reading taken <em>after</em> that compare-and-set), how long
 * an open circuit waits, and the first trial ticket it may issue. Until its phase is visible, an
 * open epoch admits no trial and a closed one counts no outcome.
 *
 * <p>Outcomes count only in the epoch their lease was granted in, decided exactly, never by bits of
 * the epoch that could wrap:
 *
 * <ul>
 *   <li>A lease's permit is {@code grantNanos << 1}: the ticker reading, in nanoseconds since the
 *       breaker was made, taken <em>before</em> the word was read (63 bits: 292 years). It tells
 *       how long the lease was held (slow leases), and whether it belongs to the closed epoch now:
 *       only if it was granted at or after that epoch's phase began. A lease of an earlier closed
 *       epoch was granted no later than the opening that ended it, and every closing after that
 *       comes at least one nanosecond after its opening (an open circuit waits at least 1ns), so
 *       its grant is older than the closed epoch now, however many epochs passed.
 *   <li>A trial's permit is {@code ticket << 1 | 1}: a number drawn from a 63-bit counter after the
 *       trial saw its spell's phase and before its compare-and-set. Each opening notes the counter
 *       after its compare-and-set, so a trial counts in the half-open spell now only if its ticket
 *       is at least that spell's first: a trial of an earlier spell drew its ticket before its
 *       spell ended. (A 16-bit epoch in the permit let a trial held across 65,536 re-opens count as
 *       a trial of the spell then.)
 * </ul>
 *
 * <p>A lease granted at the very instant a closed epoch began may find its outcome ignored; no
 * outcome is ever counted in an epoch it was not granted in.
 *
 * <p>The window is a ring of buckets in one {@link AtomicLongArray}, four longs a bucket: the index
 * of the time slice it holds (plus one; 0 is empty), leases ended, failed, slow. A bucket whose
 * slice has passed is taken over by the first outcome of its new slice (a compare-and-set on the
 * index, then its counts are zeroed); an outcome counted by another thread in that instant may be
 * lost, which moves a rate by one lease in thousands at most. Leases out are counted in a ring of
 * their own whose buckets hold their slice and their count in one {@code long}, so that a lease
 * that ends as its bucket is taken over is taken off exactly where it is counted. Nothing is
 * allocated but on a transition.
 */
public final class FailureRateCircuitBreaker implements CircuitBreaker, MeasuredCircuitBreaker {
  private static final long EPOCH = 0xFFFF_FFFFL;
  private static final int TRIALS_SHIFT = 32;
  private static final long TRIAL_COUNT = 0x3FFL;
  private static final int SUCCESSES_SHIFT = 42;
  private static final int REOPENS_SHIFT = 52;
  private static final long MAX_REOPENS = 0xFFL;
  private static final long HALF_OPENED = 1L << 60;
  private static final long OPEN = 1L << 63;

  private static final long TRIAL_PERMIT = 1L;

  private static final int SLICE = 0;
  private static final int CALLS = 1;
  private static final int FAILED = 2;
  private static final int SLOW = 3;

  /** Slices of the slow-call duration in which leases out are counted. */
  private static final int OUT_SLICES = 8;

  /** Buckets of leases out: twice the slow-call duration. */
  private static final int OUT_BUCKETS = 2 * OUT_SLICES;

  /**
   * A bucket of leases out is {@code (slice + 1) << OUT_COUNT_BITS | count}: 24 bits of count hold
   * any backend's leases ({@link dev.melange.pool.Backend#MAX_JOBS_LIMIT}), 40 of slice, at least a
   * millisecond each, last 34 years.
   */
  private static final int OUT_COUNT_BITS = 24;

  private static final long OUT_COUNT = (1L << OUT_COUNT_BITS) - 1;

  private static final VarHandle WORD;
  private static final VarHandle PHASE;
  private static final VarHandle TICKETS;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WORD = lookup.findVarHandle(FailureRateCircuitBreaker.class, "word", long.class);
      PHASE = lookup.findVarHandle(FailureRateCircuitBreaker.class, "phase", Phase.class);
      TICKETS = lookup.findVarHandle(FailureRateCircuitBreaker.class, "tickets", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private final Listener listener;
  private final CircuitBreakerPolicy.FailureRate policy;
  private final long origin;
  private final long sliceNanos;
  private final int buckets;
  private final long slowNanos;
  private final long waitNanos;
  private final long maxWaitNanos;
  private final AtomicLongArray window;

  /**
   * Leases out, by the slice of the slow-call duration they were granted in: a ring of {@link
   * #OUT_BUCKETS} buckets of one long each (the slice plus one, and the count: {@link
   * #OUT_COUNT_BITS}), spanning twice the slow-call duration; leases out longer than the ring spans
   * are in {@code outLonger}.
   */
  private final AtomicLongArray out;

  private final long outSliceNanos;

  /** Whether leases out are counted: only slow leases need it. */
  private final boolean trackOut;

  private final AtomicLongArray outLonger = new AtomicLongArray(1);

  /** The out-slice last looked at for leases out too long; see {@link #checkLeasesOut}. */
  private volatile long outChecked;

  private volatile long word;

  /** The phase the current epoch began with, once published; see the notes above. */
  private volatile Phase phase = Phase.FIRST;

  /** The next trial ticket; see the notes above. Read and written through {@code TICKETS}. */
  @SuppressWarnings("UnusedVariable")
  private volatile long tickets;

  private volatile long lastFailureNanos;
  private volatile boolean hasFailed;

  public FailureRateCircuitBreaker(
      Ticker ticker, CircuitBreakerPolicy.FailureRate policy, Listener listener) {
    this.ticker = ticker;
    this.listener = listener;
    this.policy = policy;
    this.origin = ticker.read();
    this.buckets = policy.buckets();
    this.sliceNanos = policy.window().toNanos() / buckets;
    this.slowNanos = Durations.saturatedNanos(policy.slowCallDuration());
    // At least a nanosecond: a closing then always comes after the opening before it (see above).
    this.waitNanos = Math.max(1, Durations.saturatedNanos(policy.waitInOpen()));
    this.maxWaitNanos = Math.max(waitNanos, Durations.saturatedNanos(policy.maxWaitInOpen()));
    this.window = new AtomicLongArray(buckets * 4);
    this.out = new AtomicLongArray(OUT_BUCKETS);
    // At least a millisecond, the resolution of a permit's grant time.
    this.outSliceNanos =
        Math.max(1_000_000, Durations.saturatedNanos(policy.slowCallDuration()) / OUT_SLICES);
    this.trackOut = policy.slowCallRateThreshold() > 0;
  }

  @Override
  public boolean isAdmitting() {
    long w = word;
    return w >= 0 || (trials(w) < policy.permittedTrialLeases() && waitElapsed(w));
  }

  @Override
  public long tryAcquirePermit() {
    long now = ticker.read(); // before the word: see the notes on permits above
    long w = word;
    if (w >= 0) {
      if (trackOut) {
        if (checkLeasesOut(w, now)) {
          return REFUSED; // leases out too long just opened it
        }
        countOut(since(now), 1);
      }
      return since(now) << 1;
    }
    return tryAcquireTrial(now);
  }

  /**
   * Once per out-slice: whether leases still out past the slow-call duration, counted as slow now,
   * open the circuit of {@code w}. Returns whether it is open now.
   */
  private boolean checkLeasesOut(long w, long now) {
    long slice = (now - origin) / outSliceNanos;
    if (slice == outChecked) {
      return false;
    }
    outChecked = slice;
    if (leasesOutTooLong(now) == 0) {
      return false;
    }
    openIfOverThresholds(w, now);
    return word < 0;
  }

  /**
   * @param now the ticker read before the word
   */
  private long tryAcquireTrial(long now) {
    while (true) {
      long w = word;
      if (w >= 0) {
        if (trackOut) {
          countOut(since(now), 1);
        }
        return since(now) << 1;
      }
      if (trials(w) >= policy.permittedTrialLeases() || !waitElapsed(w)) {
        return REFUSED;
      }
      // Drawn after this spell's phase was seen (waitElapsed) and before the compare-and-set.
      long ticket = (long) TICKETS.getAndAdd(this, 1L);
      if (WORD.compareAndSet(this, w, (w + (1L << TRIALS_SHIFT)) | HALF_OPENED)) {
        if ((w & HALF_OPENED) == 0) {
          listener.onStateChange(State.OPEN, State.HALF_OPEN);
        }
        return ticket << 1 | TRIAL_PERMIT;
      }
    }
  }

  @Override
  public void onSuccess(long permit) {
    long now = ticker.read();
    if ((permit & TRIAL_PERMIT) != 0) {
      trialSucceeded(permit);
      return;
    }
    leaseEnded(permit);
    long w = word;
    if (!grantedInThisClosedEpoch(w, permit)) {
      return;
    }
    boolean slow = heldNanos(permit, now) > slowNanos;
    count(now, false, slow);
    if (slow) {
      openIfOverThresholds(w, now);
    }
  }

  @Override
  public void onFailure(long permit, Throwable cause) {
    long now = ticker.read();
    lastFailureNanos = now;
    hasFailed = true;
    if ((permit & TRIAL_PERMIT) != 0) {
      trialFailed(permit);
      return;
    }
    leaseEnded(permit);
    long w = word;
    if (!grantedInThisClosedEpoch(w, permit)) {
      return;
    }
    count(now, true, heldNanos(permit, now) > slowNanos);
    openIfOverThresholds(w, now);
  }

  @Override
  public void onNoOutcome(long permit) {
    if ((permit & TRIAL_PERMIT) == 0) {
      leaseEnded(permit);
      return; // a lease with no outcome tells nothing of the backend
    }
    while (true) {
      long w = word;
      if (!trialOfThisSpell(w, permit) || trials(w) == 0) {
        return;
      }
      if (WORD.compareAndSet(this, w, w - (1L << TRIALS_SHIFT))) {
        return; // the trial is free for the next caller
      }
    }
  }

  private void trialSucceeded(long permit) {
    while (true) {
      long w = word;
      if (!trialOfThisSpell(w, permit)) {
        return;
      }
      long successes = successes(w) + 1;
      boolean closes = successes >= policy.permittedTrialLeases();
      long next = closes ? nextEpoch(w) : w + (1L << SUCCESSES_SHIFT);
      if (WORD.compareAndSet(this, w, next)) {
        if (closes) {
          clearWindow(); // a fresh start: what led to the opening no longer counts
          publish(new Phase(epoch(next), since(ticker.read()), 0, 0));
          listener.onStateChange(State.HALF_OPEN, State.CLOSED);
        }
        return;
      }
    }
  }

  private void trialFailed(long permit) {
    while (true) {
      long w = word;
      if (!trialOfThisSpell(w, permit)) {
        return;
      }
      long reopens = Math.min(reopens(w) + 1, MAX_REOPENS);
      long next = nextEpoch(w) | OPEN | reopens << REOPENS_SHIFT;
      if (WORD.compareAndSet(this, w, next)) {
        opened(next, waitFor(reopens));
        listener.onStateChange(State.HALF_OPEN, State.OPEN);
        return;
      }
    }
  }

  /** Publishes the phase of the open epoch of {@code w}, just made by this thread. */
  private void opened(long w, long wait) {
    publish(new Phase(epoch(w), since(ticker.read()), wait, (long) TICKETS.getVolatile(this)));
  }

  /** Makes {@code next} the phase, unless a newer epoch's is published already. */
  private void publish(Phase next) {
    while (true) {
      Phase current = phase;
      if ((int) (next.epoch - current.epoch) <= 0 || PHASE.compareAndSet(this, current, next)) {
        return;
      }
    }
  }

  /** Whether a lease's permit was granted in the closed epoch of {@code w}. */
  private boolean grantedInThisClosedEpoch(long w, long permit) {
    if (w < 0) {
      return false;
    }
    Phase began = phase;
    return began.epoch == epoch(w) && (permit >>> 1) >= began.sinceOrigin;
  }

  /** Whether a trial's permit was issued in the half-open spell of {@code w}. */
  private boolean trialOfThisSpell(long w, long permit) {
    if (w >= 0) {
      return false;
    }
    Phase began = phase;
    return began.epoch == epoch(w) && (permit >>> 1) >= began.firstTicket;
  }

  /** Opens the closed circuit of {@code w}'s epoch if the window now crosses a threshold. */
  private void openIfOverThresholds(long w, long now) {
    if (!overThresholds(now)) {
      return;
    }
    long next = nextEpoch(w) | OPEN;
    if (WORD.compareAndSet(this, w, next)) {
      opened(next, waitNanos);
      listener.onStateChange(State.CLOSED, State.OPEN);
    }
    // A failed compare-and-set: another outcome changed the state first (and opened it, or the
    // circuit is no longer this epoch's); either way this outcome has nothing left to do.
  }

  private boolean overThresholds(long now) {
    long calls = 0;
    long failed = 0;
    long slow = 0;
    long current = slice(now);
    for (int bucket = 0; bucket < buckets; bucket++) {
      int base = bucket * 4;
      long slice = window.get(base + SLICE) - 1;
      if (slice < 0 || slice <= current - buckets || slice > current) {
        continue;
      }
      calls += window.get(base + CALLS);
      failed += window.get(base + FAILED);
      slow += window.get(base + SLOW);
    }
    if (policy.failures() > 0 && failed >= policy.failures()) {
      return true;
    }
    if (trackOut) {
      // Leases still out past the slow-call duration are slow already, and count as calls.
      long outTooLong = leasesOutTooLong(now);
      calls += outTooLong;
      slow += outTooLong;
    }
    if (calls < policy.minimumCalls()) {
      return false;
    }
    return (policy.failureRateThreshold() > 0
            && failed * 100.0 >= policy.failureRateThreshold() * calls)
        || (policy.slowCallRateThreshold() > 0
            && slow * 100.0 >= policy.slowCallRateThreshold() * calls);
  }

  private void count(long now, boolean failed, boolean slow) {
    long slice = slice(now);
    int base = (int) (slice % buckets) * 4;
    long stamp = window.get(base + SLICE);
    if (stamp != slice + 1 && window.compareAndSet(base + SLICE, stamp, slice + 1)) {
      window.set(base + CALLS, 0);
      window.set(base + FAILED, 0);
      window.set(base + SLOW, 0);
    }
    window.getAndIncrement(base + CALLS);
    if (failed) {
      window.getAndIncrement(base + FAILED);
    }
    if (slow) {
      window.getAndIncrement(base + SLOW);
    }
  }

  /**
   * Counts a lease granted {@code granted} nanoseconds after the origin as out ({@code +1}) or back
   * ({@code -1}). A bucket is taken over by the first grant of its new slice, which moves what is
   * still out of its old slice to {@code outLonger} in the same compare-and-set that changes the
   * slice; a lease ends where it is counted now: in its bucket while the bucket still holds its
   * slice, else (taken over, or counted there from the start) in {@code outLonger}. (Slice and
   * count in two longs let a lease that ended as its bucket was taken over leave {@code outLonger}
   * one too high for good: a slow lease out that never ended.)
   */
  private void countOut(long granted, int delta) {
    long slice = granted / outSliceNanos;
    long stamp = slice + 1;
    int bucket = (int) (slice % OUT_BUCKETS);
    while (true) {
      long held = out.get(bucket);
      long heldStamp = held >>> OUT_COUNT_BITS;
      if (heldStamp == stamp) {
        if (out.compareAndSet(bucket, held, held + delta)) {
          return;
        }
      } else if (delta > 0 && heldStamp < stamp) {
        // The bucket's slice is over a ring ago: what is still out of it is out longer.
        if (out.compareAndSet(bucket, held, stamp << OUT_COUNT_BITS | delta)) {
          long left = held & OUT_COUNT;
          if (left > 0) {
            outLonger.getAndAdd(0, left);
          }
          return;
        }
      } else {
        // A release whose bucket was taken over (or a grant behind its bucket's slice, which
        // grants in time order never are): counted with the longer ones.
        outLonger.getAndAdd(0, delta);
        return;
      }
    }
  }

  private void leaseEnded(long permit) {
    if (trackOut) {
      countOut(permit >>> 1, -1);
    }
  }

  /** Nanoseconds since the breaker was made. */
  private long since(long now) {
    return Math.max(0, now - origin);
  }

  /** Leases out now that were granted more than the slow-call duration ago. */
  public long leasesOutTooLong(long now) {
    long current = since(now) / outSliceNanos;
    // A slice counts once all of it is older than the slow-call duration.
    long newestSlow = current - OUT_SLICES - 1;
    long total = outLonger.get(0);
    for (int bucket = 0; bucket < OUT_BUCKETS; bucket++) {
      long held = out.get(bucket);
      long slice = (held >>> OUT_COUNT_BITS) - 1;
      if (slice >= 0 && slice <= newestSlow) {
        total += held & OUT_COUNT;
      }
    }
    return total;
  }

  private void clearWindow() {
    for (int bucket = 0; bucket < buckets; bucket++) {
      window.set(bucket * 4 + SLICE, 0);
    }
  }

  /** The counts of the window now: leases ended, failed and slow. */
  public long[] windowCounts() {
    long[] counts = new long[3];
    long current = slice(ticker.read());
    for (int bucket = 0; bucket < buckets; bucket++) {
      int base = bucket * 4;
      long slice = window.get(base + SLICE) - 1;
      if (slice >= 0 && slice > current - buckets && slice <= current) {
        counts[0] += window.get(base + CALLS);
        counts[1] += window.get(base + FAILED);
        counts[2] += window.get(base + SLOW);
      }
    }
    return counts;
  }

  /**
   * The window's counts, with leases still out past the slow-call duration counted as calls and as
   * slow, as the thresholds count them.
   */
  @Override
  public CallStats callStats() {
    long now = ticker.read();
    long[] counts = windowCounts();
    long outTooLong = trackOut ? leasesOutTooLong(now) : 0;
    long calls = counts[0] + outTooLong;
    long slow = counts[2] + outTooLong;
    return new CallStats(
        policy.window(),
        calls,
        counts[1],
        MeasuredCircuitBreaker.percent(counts[1], calls),
        slow,
        MeasuredCircuitBreaker.percent(slow, calls));
  }

  @Override
  public Snapshot snapshot() {
    long w = word;
    int failures = (int) Math.min(Integer.MAX_VALUE, windowCounts()[1]);
    OptionalLong lastFailure = hasFailed ? OptionalLong.of(lastFailureNanos) : OptionalLong.empty();
    if (w >= 0) {
      return new Snapshot(State.CLOSED, failures, lastFailure, 0);
    }
    if ((w & HALF_OPENED) != 0) {
      return new Snapshot(State.HALF_OPEN, failures, lastFailure, 0);
    }
    // Open until a trial is taken (when the listener hears OPEN -> HALF_OPEN), even once the wait
    // is over and a trial may go through.
    return new Snapshot(State.OPEN, failures, lastFailure, Math.max(0, remainingWait(w)));
  }

  private boolean waitElapsed(long w) {
    return remainingWait(w) <= 0;
  }

  /** How long the open circuit of {@code w} still waits; its full wait until its phase shows. */
  private long remainingWait(long w) {
    Phase began = phase;
    if (began.epoch != epoch(w)) {
      return waitFor(reopens(w));
    }
    return began.waitNanos - (since(ticker.read()) - began.sinceOrigin);
  }

  /** The wait after the n-th re-open in a row: {@code waitInOpen × backoff^n}, at most the max. */
  private long waitFor(long reopens) {
    if (reopens == 0 || policy.backoff() == 1) {
      return waitNanos;
    }
    double grown = (double) waitNanos * Math.pow(policy.backoff(), (double) reopens);
    return grown >= maxWaitNanos ? maxWaitNanos : (long) grown;
  }

  private long slice(long now) {
    return (now - origin) / sliceNanos;
  }

  private long heldNanos(long permit, long now) {
    return since(now) - (permit >>> 1);
  }

  private static long epoch(long w) {
    return w & EPOCH;
  }

  private static long trials(long w) {
    return (w >>> TRIALS_SHIFT) & TRIAL_COUNT;
  }

  private static long successes(long w) {
    return (w >>> SUCCESSES_SHIFT) & TRIAL_COUNT;
  }

  private static long reopens(long w) {
    return (w >>> REOPENS_SHIFT) & MAX_REOPENS;
  }

  /** The next epoch: closed, nothing counted. */
  private static long nextEpoch(long w) {
    return (w + 1) & EPOCH;
  }

  /**
   * How an epoch began: which, when (nanoseconds since the breaker was made, read after the
   * compare-and-set that began it), how long it waits if open, and the first trial ticket it may
   * issue if open.
   */
  private static final class Phase {
    static final Phase FIRST = new Phase(0, 0, 0, 0);

    final long epoch;
    final long sinceOrigin;
    final long waitNanos;
    final long firstTicket;

    Phase(long epoch, long sinceOrigin, long waitNanos, long firstTicket) {
      this.epoch = epoch;
      this.sinceOrigin = sinceOrigin;
      this.waitNanos = waitNanos;
      this.firstTicket = firstTicket;
    }
  }
}
