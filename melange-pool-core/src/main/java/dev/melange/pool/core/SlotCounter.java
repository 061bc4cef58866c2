package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.spi.CircuitBreaker;

/**
 * A slot's counter word and what is done with it: reserve, release, retire, the flags that hold a
 * slot out, and the slow-start ramp. The acquire/release path is here and in the fields of {@link
 * SlotHotFields}; the rest of a slot ({@link Slot}) is cold.
 *
 * <p>Invariants: the jobs running are {@code active & ~FLAGS}, from 0 to {@code maxJobs}. Only
 * {@link #tryReserve()} (and {@link #tryReserveFailingOpen()}) increments {@code active}, by a
 * compare-and-set that fails at the limit; only {@link #release()} decrements it, and each lease
 * calls it exactly once for its one successful reservation. Removal adds {@link #RETIRED} once,
 * before the topology without this slot is published: from then on every reservation sees the slot
 * full and fails, while the leases already out release as before. So "removed" and "full" are one
 * check on one word, and no lease can slip in between them. Every other flag is set and cleared by
 * a compare-and-set of the whole word ({@link #setFlags}), so a flag change and a count change
 * never undo each other.
 *
 * <p>Slow start works the same way: while the slot ramps up, the word also carries {@link
 * #RAMPING}, so the acquire path's one comparison, {@code active < maxJobs}, fails for it as for a
 * full slot, and only then does a reader look closer ({@link #hasRoom}, {@link #tryReserve}): the
 * ramp's limit comes from the ticker. The first reader to find the ramp over clears the flag. A
 * slot that does not ramp pays nothing at all.
 */
abstract class SlotCounter extends SlotPaddingAfter {

  /**
   * Added to the counter on removal; above any {@code maxJobs} ({@link Backend#MAX_JOBS_LIMIT}).
   */
  static final int RETIRED = 1 << 30;

  /** Set in the counter while the slot ramps up after a slow start; also above any maxJobs. */
  static final int RAMPING = 1 << 29;

  /**
   * Set in the counter while an operator holds the backend out (cordoned or draining): like
   * removal, it makes the slot read as full; unlike removal, it can be cleared.
   */
  static final int CORDONED = 1 << 28;

  /**
   * Set in the counter while the backend is unhealthy (by override or probe): it reads as full,
   * except to a request that fails open ({@link #tryReserveFailingOpen}).
   */
  static final int UNHEALTHY = 1 << 27;

  /**
   * Set in the counter while the backend's health is unknown (its check has not answered yet): it
   * reads as full to every request, failing open or not, and does not make a request fail open.
   */
  static final int UNPROBED = 1 << 26;

  /**
   * Set in the counter while its configured arch contradicts its daemon's native platform: it reads
   * as full to every request, failing open or not, until the configuration or the daemon changes.
   */
  static final int MISPLACED = 1 << 25;

  /**
   * Which ramp the RAMPING flag belongs to, 1 to 31, held in the word while the slot ramps (zero
   * otherwise). A ramp that starts over changes the word even when the flag was still set, so a
   * reservation that judged the old ramp's limit loses its compare-and-set, and a reader that finds
   * a ramp over ends only the ramp it saw. Bits 20 to 24: above any maxJobs too.
   */
  static final int RAMP_GENERATION = 0x1F << 20;

  private static final int RAMP_GENERATION_SHIFT = 20;

  /** RAMPING with its generation: what a ramp's start sets and its end clears. */
  static final int RAMP = RAMPING | RAMP_GENERATION;

  /** The flags that say something of the slot's state, without the ramp's generation. */
  private static final int STATE_FLAGS =
      RETIRED | RAMPING | CORDONED | UNHEALTHY | UNPROBED | MISPLACED;

  /** Every bit of the word that is not the job count. */
  static final int FLAGS = STATE_FLAGS | RAMP_GENERATION;

  /** The flags that keep a slot out even of a request that fails open. */
  static final int OUT = RETIRED | CORDONED | UNPROBED | MISPLACED;

  /** The pool's slow start; its ticker times the ramp. */
  final SlowStart slowStart;

  /**
   * The ticker reading when the current ramp began; meaningful while the word is RAMPING. Written
   * by {@link #startRamp} under this slot's monitor before the word shows the new ramp, so a reader
   * that sees a ramp's generation in the word reads its start or a later one.
   */
  private volatile long rampStartNanos;

  /** Guarded by {@code this}: ramps started, to number the next one's generation. */
  private int rampsStarted;

  SlotCounter(
      int maxJobs, int weight, CircuitBreaker breaker, WaitQueue waiters, SlowStart slowStart) {
    super(maxJobs, weight, breaker, waiters);
    this.slowStart = slowStart;
  }

  /**
   * Takes a slot if one is free, with one compare-and-set; false if full (or ramping and at its
   * limit for now), removed, or the race was lost.
   */
  boolean tryReserve() {
    int current = active;
    if (current < maxJobs) {
      return ACTIVE.compareAndSet(this, current, current + 1);
    }
    return (current & STATE_FLAGS) == RAMPING
        && (current & ~RAMP) < rampLimit(current)
        && ACTIVE.compareAndSet(this, current, current + 1);
  }

  /** Gives back a slot taken by {@link #tryReserve()}. */
  void release() {
    ACTIVE.getAndAdd(this, -1);
  }

  /**
   * Reserves a slot of an unhealthy backend for a request that fails open: as {@link #tryReserve},
   * but ignoring only the UNHEALTHY flag (removed, cordoned and unprobed backends stay out).
   */
  boolean tryReserveFailingOpen() {
    int current = active;
    if ((current & OUT) != 0) {
      return false;
    }
    int jobs = current & ~(UNHEALTHY | RAMP);
    int limit = (current & RAMPING) == 0 ? maxJobs : rampLimit(current);
    return jobs < limit && ACTIVE.compareAndSet(this, current, current + 1);
  }

  /** Whether the slot is in the pool, ready, and known unhealthy: what fail-open may route to. */
  boolean isFailOpenCandidate() {
    return (active & (OUT | UNHEALTHY)) == UNHEALTHY;
  }

  /** Whether the slot is in the pool, ready and healthy. */
  boolean isReadyAndHealthy() {
    return (active & (OUT | UNHEALTHY)) == 0;
  }

  /**
   * Whether the slot is in the pool, ready and not known unhealthy (healthy, or not probed yet): a
   * reason not to fail open.
   */
  boolean isReadyAndNotUnhealthy() {
    return (active & (RETIRED | CORDONED | UNHEALTHY | MISPLACED)) == 0;
  }

  /** Whether a reservation could succeed now (removed slots have none). */
  boolean hasRoom() {
    int current = active;
    return current < maxJobs
        || ((current & STATE_FLAGS) == RAMPING && (current & ~RAMP) < rampLimit(current));
  }

  /** The jobs running on this slot now. */
  int active() {
    return active & ~FLAGS;
  }

  /** How many jobs the slot may run now: {@code maxJobs}, or less while it ramps up. */
  int limit() {
    int current = active;
    return (current & RAMPING) == 0 ? maxJobs : rampLimit(current);
  }

  /** The slot's weight now: the backend's, or less while it ramps up. */
  int weightNow() {
    return (active & RAMPING) == 0 ? weight : rampedWeight();
  }

  /**
   * Whether a word read from {@code active} is that of a ramping slot still in the pool: the one
   * case where {@code word >= maxJobs} does not mean full.
   */
  static boolean isRampingWord(int word) {
    return (word & STATE_FLAGS) == RAMPING;
  }

  boolean isRamping() {
    return (active & RAMPING) != 0;
  }

  boolean isRetired() {
    return (active & RETIRED) != 0;
  }

  /** Refuses every later reservation; leases already out finish and release normally. */
  void retire() {
    ACTIVE.getAndAdd(this, RETIRED);
  }

  /**
   * Starts a ramp from a limit of 1 up to {@code maxJobs} over the pool's slow-start time (when it
   * has one). A ramp under way starts over, with a new generation. Serialized on this slot's
   * monitor (a leaf: nothing else is taken under it), so that a later start never leaves an earlier
   * ticker reading behind.
   */
  synchronized void startRamp() {
    if (slowStart.nanos == 0 || (maxJobs == 1 && weight == 1)) {
      return;
    }
    int generation = (rampsStarted++ % 31) + 1;
    rampStartNanos = slowStart.ticker.read();
    setFlags(RAMP, RAMPING | generation << RAMP_GENERATION_SHIFT);
  }

  /**
   * How long until the ramp next raises the limit, for waiters to look again then; {@code
   * Long.MAX_VALUE} when the slot is not ramping.
   */
  long nanosUntilRampStep() {
    int word = active;
    if ((word & RAMPING) == 0) {
      return Long.MAX_VALUE;
    }
    long elapsed = slowStart.ticker.read() - rampStartNanos;
    int current = rampLimit(word);
    if (current >= maxJobs) {
      return Long.MAX_VALUE; // no step left: only a release frees room now, and it signals
    }
    // The limit becomes current + 1 once maxJobs * elapsed / nanos exceeds current. No overflow:
    // current < maxJobs <= 10^6 and nanos <= 3.6 * 10^12.
    long stepAt = current * slowStart.nanos / maxJobs + 1;
    return Math.max(0, stepAt - elapsed);
  }

  /**
   * The limit of the ramp {@code word} shows, now; ends that ramp (clears its flag and generation)
   * once it is over.
   */
  private int rampLimit(int word) {
    long elapsed = slowStart.ticker.read() - rampStartNanos;
    if (elapsed >= slowStart.nanos) {
      endRamp(word);
      return maxJobs;
    }
    return slowStart.scale(maxJobs, elapsed);
  }

  /**
   * Ends the ramp {@code seen} shows, if it still runs: a ramp started since has another
   * generation, and only its own readers may end it.
   */
  private void endRamp(int seen) {
    int generation = seen & RAMP_GENERATION;
    while (true) {
      int current = active;
      if ((current & RAMP) != (RAMPING | generation)) {
        return;
      }
      if (ACTIVE.compareAndSet(this, current, current & ~RAMP)) {
        return;
      }
    }
  }

  final void setFlag(int flag, boolean on) {
    setFlags(flag, on ? flag : 0);
  }

  /** Sets the flags of {@code mask} to {@code bits}, in one compare-and-set. */
  final void setFlags(int mask, int bits) {
    while (true) {
      int current = active;
      int next = (current & ~mask) | bits;
      if (current == next || ACTIVE.compareAndSet(this, current, next)) {
        return;
      }
    }
  }

  private int rampedWeight() {
    long elapsed = slowStart.ticker.read() - rampStartNanos;
    return elapsed >= slowStart.nanos ? weight : slowStart.scale(weight, elapsed);
  }
}
