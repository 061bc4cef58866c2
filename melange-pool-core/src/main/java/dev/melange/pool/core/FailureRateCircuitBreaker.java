package dev.melange.pool.core;

import dev.melange.pool.CallStats;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Ticker;
import dev.melange.pool.spi.CircuitBreaker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
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
 * (saturating), bit 63 open. Closed, the word is the epoch: non-negative, and nothing else set.
 *
 * <p>A permit is {@code grantMillis << 17 | (epoch & 0xFFFF) << 1 | trial}: the ticker reading (in
 * milliseconds since the breaker was made) at which the lease was granted, the low bits of the
 * epoch it was granted in, and whether it is a trial. So an outcome knows how long its lease was
 * held (for slow leases) and whether it belongs to the current epoch; outcomes of another epoch are
 * ignored.
 *
 * <p>The window is a ring of buckets in one {@link AtomicLongArray}, four longs a bucket: the index
 * of the time slice it holds (plus one; 0 is empty), leases ended, failed, slow. A bucket whose
 * slice has passed is taken over by the first outcome of its new slice (a compare-and-set on the
 * index, then its counts are zeroed); an outcome counted by another thread in that instant may be
 * lost, which moves a rate by one lease in thousands at most. Nothing is allocated but when the
 * circuit opens.
 */
final class FailureRateCircuitBreaker implements CircuitBreaker, MeasuredCircuitBreaker {
  private static final long EPOCH = 0xFFFF_FFFFL;
  private static final int TRIALS_SHIFT = 32;
  private static final long TRIAL_COUNT = 0x3FFL;
  private static final int SUCCESSES_SHIFT = 42;
  private static final int REOPENS_SHIFT = 52;
  private static final long MAX_REOPENS = 0xFFL;
  private static final long OPEN = 1L << 63;

  private static final long TRIAL_PERMIT = 1L;
  private static final long PERMIT_EPOCH = 0xFFFFL;
  private static final int PERMIT_MILLIS_SHIFT = 17;

  private static final int SLICE = 0;
  private static final int CALLS = 1;
  private static final int FAILED = 2;
  private static final int SLOW = 3;

  /** Slices of the slow-call duration in which leases out are counted. */
  private static final int OUT_SLICES = 8;

  /** Buckets of leases out: twice the slow-call duration. */
  private static final int OUT_BUCKETS = 2 * OUT_SLICES;

  private static final VarHandle WORD;

  static {
    try {
      WORD =
          MethodHandles.lookup().findVarHandle(FailureRateCircuitBreaker.class, "word", long.class);
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
  private final long slowMillis;
  private final long waitNanos;
  private final long maxWaitNanos;
  private final AtomicLongArray window;

  /**
   * Leases out, by the slice of the slow-call duration they were granted in: a ring of {@link
   * #OUT_BUCKETS} buckets of two longs (the slice plus one, the count), spanning twice the
   * slow-call duration; leases out longer than the ring spans are in {@code outLonger}.
   */
  private final AtomicLongArray out;

  private final long outSliceNanos;

  /** Whether leases out are counted: only slow leases need it. */
  private final boolean trackOut;

  private final AtomicLongArray outLonger = new AtomicLongArray(1);

  /** The out-slice last looked at for leases out too long; see {@link #checkLeasesOut}. */
  private volatile long outChecked;

  private volatile long word;
  private volatile Opening opening = Opening.NEVER;
  private volatile long lastFailureNanos;
  private volatile boolean hasFailed;

  FailureRateCircuitBreaker(
      Ticker ticker, CircuitBreakerPolicy.FailureRate policy, Listener listener) {
    this.ticker = ticker;
    this.listener = listener;
    this.policy = policy;
    this.origin = ticker.read();
    this.buckets = policy.buckets();
    this.sliceNanos = policy.window().toNanos() / buckets;
    this.slowMillis = saturatedMillis(policy.slowCallDuration());
    this.waitNanos = saturatedNanos(policy.waitInOpen());
    this.maxWaitNanos = saturatedNanos(policy.maxWaitInOpen());
    this.window = new AtomicLongArray(buckets * 4);
    this.out = new AtomicLongArray(OUT_BUCKETS * 2);
    // At least a millisecond, the resolution of a permit's grant time.
    this.outSliceNanos =
        Math.max(1_000_000, saturatedNanos(policy.slowCallDuration()) / OUT_SLICES);
    this.trackOut = policy.slowCallRateThreshold() > 0;
  }

  @Override
  public boolean isAdmitting() {
    long w = word;
    return w >= 0 || (trials(w) < policy.permittedTrialLeases() && waitElapsed(w));
  }

  @Override
  public long tryAcquirePermit() {
    long w = word;
    if (w >= 0) {
      long now = ticker.read();
      if (trackOut) {
        if (checkLeasesOut(w, now)) {
          return REFUSED; // leases out too long just opened it
        }
        countOut(grantTime(now), 1);
      }
      return permit(w, now, false);
    }
    return tryAcquireTrial();
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

  private long tryAcquireTrial() {
    while (true) {
      long w = word;
      if (w >= 0) {
        long now = ticker.read();
        if (trackOut) {
          countOut(grantTime(now), 1);
        }
        return permit(w, now, false);
      }
      if (trials(w) >= policy.permittedTrialLeases() || !waitElapsed(w)) {
        return REFUSED;
      }
      if (WORD.compareAndSet(this, w, w + (1L << TRIALS_SHIFT))) {
        if (trials(w) == 0 && successes(w) == 0) {
          listener.onStateChange(State.OPEN, State.HALF_OPEN);
        }
        return permit(w, ticker.read(), true);
      }
    }
  }

  private long permit(long w, long now, boolean trial) {
    long millis = (now - origin) / 1_000_000;
    return millis << PERMIT_MILLIS_SHIFT | (w & PERMIT_EPOCH) << 1 | (trial ? TRIAL_PERMIT : 0);
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
    if (w < 0 || !sameEpoch(w, permit)) {
      return;
    }
    boolean slow = heldMillis(permit, now) > slowMillis;
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
      trialFailed(permit, now);
      return;
    }
    leaseEnded(permit);
    long w = word;
    if (w < 0 || !sameEpoch(w, permit)) {
      return;
    }
    count(now, true, heldMillis(permit, now) > slowMillis);
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
      if (w >= 0 || !sameEpoch(w, permit) || trials(w) == 0) {
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
      if (w >= 0 || !sameEpoch(w, permit)) {
        return;
      }
      long successes = successes(w) + 1;
      boolean closes = successes >= policy.permittedTrialLeases();
      long next = closes ? nextEpoch(w) : w + (1L << SUCCESSES_SHIFT);
      if (WORD.compareAndSet(this, w, next)) {
        if (closes) {
          clearWindow(); // a fresh start: what led to the opening no longer counts
          listener.onStateChange(State.HALF_OPEN, State.CLOSED);
        }
        return;
      }
    }
  }

  private void trialFailed(long permit, long now) {
    while (true) {
      long w = word;
      if (w >= 0 || !sameEpoch(w, permit)) {
        return;
      }
      long reopens = Math.min(reopens(w) + 1, MAX_REOPENS);
      long next = nextEpoch(w) | OPEN | reopens << REOPENS_SHIFT;
      if (WORD.compareAndSet(this, w, next)) {
        opening = new Opening(epoch(next), now, waitFor(reopens));
        listener.onStateChange(State.HALF_OPEN, State.OPEN);
        return;
      }
    }
  }

  /** Opens the closed circuit of {@code w}'s epoch if the window now crosses a threshold. */
  private void openIfOverThresholds(long w, long now) {
    if (!overThresholds(now)) {
      return;
    }
    long next = nextEpoch(w) | OPEN;
    if (WORD.compareAndSet(this, w, next)) {
      opening = new Opening(epoch(next), now, waitNanos);
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
   * Counts a lease granted at {@code granted} as out ({@code +1}) or back ({@code -1}). A bucket is
   * taken over by the first grant of its new slice, which moves what is still out of its old slice
   * to {@code outLonger}; a lease of that old slice that ends in the same instant may be taken from
   * the new slice instead, which misplaces one lease between slices, never the total.
   */
  private void countOut(long granted, int delta) {
    long slice = (granted - origin) / outSliceNanos;
    int base = (int) (slice % OUT_BUCKETS) * 2;
    long stamp = out.get(base);
    if (delta > 0 && stamp != slice + 1) {
      if (stamp > slice + 1) {
        outLonger.getAndAdd(0, delta); // cannot happen: grants come in time order, near enough
        return;
      }
      if (out.compareAndSet(base, stamp, slice + 1)) {
        // The bucket's earlier slice is over a ring ago: what is still out of it is out longer.
        long left = out.getAndSet(base + 1, 0);
        if (left > 0) {
          outLonger.getAndAdd(0, left);
        }
      }
    } else if (delta < 0 && stamp != slice + 1) {
      outLonger.getAndAdd(0, delta); // granted a ring ago or more: counted with the longer ones
      return;
    }
    out.getAndAdd(base + 1, delta);
  }

  private void leaseEnded(long permit) {
    if (trackOut) {
      countOut(origin + (permit >>> PERMIT_MILLIS_SHIFT) * 1_000_000, -1);
    }
  }

  /** A grant's time as its permit keeps it: to the millisecond. */
  private long grantTime(long now) {
    return origin + (now - origin) / 1_000_000 * 1_000_000;
  }

  /** Leases out now that were granted more than the slow-call duration ago. */
  long leasesOutTooLong(long now) {
    long current = (now - origin) / outSliceNanos;
    // A slice counts once all of it is older than the slow-call duration.
    long newestSlow = current - OUT_SLICES - 1;
    long total = Math.max(0, outLonger.get(0));
    for (int bucket = 0; bucket < OUT_BUCKETS; bucket++) {
      long slice = out.get(bucket * 2) - 1;
      if (slice >= 0 && slice <= newestSlow) {
        total += Math.max(0, out.get(bucket * 2 + 1));
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
  long[] windowCounts() {
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
    long remaining = remainingWait(w);
    if (trials(w) > 0 || successes(w) > 0 || remaining <= 0) {
      return new Snapshot(State.HALF_OPEN, failures, lastFailure, 0);
    }
    return new Snapshot(State.OPEN, failures, lastFailure, remaining);
  }

  private boolean waitElapsed(long w) {
    return remainingWait(w) <= 0;
  }

  /** How long the open circuit of {@code w} still waits; its full wait until its opening shows. */
  private long remainingWait(long w) {
    Opening open = opening;
    if (open.epoch != epoch(w)) {
      return Math.max(1, waitFor(reopens(w)));
    }
    return open.waitNanos - (ticker.read() - open.nanos);
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

  private long heldMillis(long permit, long now) {
    return (now - origin) / 1_000_000 - (permit >>> PERMIT_MILLIS_SHIFT);
  }

  private static boolean sameEpoch(long w, long permit) {
    return (w & PERMIT_EPOCH) == ((permit >>> 1) & PERMIT_EPOCH);
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

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  private static long saturatedMillis(Duration duration) {
    try {
      return duration.toMillis();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /** When the circuit opened, in which epoch, and how long it waits. */
  private static final class Opening {
    static final Opening NEVER = new Opening(-1, 0, 0);

    final long epoch;
    final long nanos;
    final long waitNanos;

    Opening(long epoch, long nanos, long waitNanos) {
      this.epoch = epoch;
      this.nanos = nanos;
      this.waitNanos = waitNanos;
    }
  }
}
