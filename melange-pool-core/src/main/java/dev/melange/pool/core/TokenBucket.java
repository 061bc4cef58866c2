package dev.melange.pool.core;

import dev.melange.pool.RateLimit;
import dev.melange.pool.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket kept as one number, the generic cell rate algorithm's "theoretical arrival time"
 * ({@code tat}): the ticker reading at which the bucket would be full again. A token is free while
 * {@code tat - now <= (burst - 1) * interval}; taking it moves {@code tat} one interval on from
 * {@code max(tat, now)}. So taking is one compare-and-set, refilling is nothing at all (time
 * passing is the refill), and an idle bucket is full: {@code burst} tokens, then one per interval.
 *
 * <p>The interval is {@code 1 / (rate * factor)}; an adaptive limiter moves {@code factor}, which
 * changes the rate of tokens from then on without touching the tokens owed.
 */
final class TokenBucket {
  private final Ticker ticker;
  private final AtomicLong tat;
  private volatile RateLimit limit;

  /**
   * A recent ticker reading: time only moves on, so a token free by it is free now, and {@link
   * #hasToken} need not read the clock again to say so (the scan asks it for every winning
   * candidate).
   */
  private volatile long recentNanos;

  /** The share of the configured rate in force: 1 unless adaptive. */
  private volatile double factor = 1.0;

  TokenBucket(RateLimit limit, Ticker ticker) {
    this.limit = limit;
    this.ticker = ticker;
    this.recentNanos = ticker.read();
    this.tat = new AtomicLong(recentNanos);
  }

  RateLimit limit() {
    return limit;
  }

  /** Takes a reload's new rate and burst; the tokens owed stay owed. */
  void reconfigure(RateLimit next) {
    limit = next;
  }

  double factor() {
    return factor;
  }

  void factor(double factor) {
    this.factor = factor;
  }

  /** Tokens a second now. */
  double rate() {
    return limit.rate() * factor;
  }

  /** Takes a token if one is free. */
  boolean tryTake() {
    RateLimit current = limit;
    long interval = interval(current);
    long tolerance = tolerance(current, interval);
    long now = ticker.read();
    recentNanos = now;
    while (true) {
      long owed = tat.get();
      long from = owed - now > 0 ? owed : now;
      if (from - now > tolerance) {
        return false;
      }
      if (tat.compareAndSet(owed, from + interval)) {
        return true;
      }
    }
  }

  /** Gives back a token taken by {@link #tryTake} but not used. */
  void giveBack() {
    tat.addAndGet(-interval(limit));
  }

  /** Whether a token is free now; takes none. */
  boolean hasToken() {
    RateLimit current = limit;
    long interval = interval(current);
    long tolerance = tolerance(current, interval);
    long owed = tat.get();
    if (owed - recentNanos <= tolerance) {
      return true;
    }
    long now = ticker.read();
    recentNanos = now;
    return owed - now <= tolerance;
  }

  /** How long until a token is free; 0 if one is now. */
  long nanosUntilToken() {
    RateLimit current = limit;
    long interval = interval(current);
    long wait = tat.get() - ticker.read() - tolerance(current, interval);
    return Math.max(0, wait);
  }

  /** Tokens in the bucket now, whole and partial. */
  double available() {
    RateLimit current = limit;
    long interval = interval(current);
    long owed = Math.max(0, tat.get() - ticker.read());
    return Math.max(0, current.burst() - (double) owed / interval);
  }

  private long interval(RateLimit current) {
    // At least a nanosecond; at most (one a day, at 2% of it) about 4.3e15 ns.
    return Math.max(1, (long) (1e9 / (current.rate() * factor)));
  }

  /** {@code (burst - 1) * interval}, saturated rather than overflowed. */
  private static long tolerance(RateLimit current, long interval) {
    long tokens = current.burst() - 1L;
    return interval > Long.MAX_VALUE / 4 / Math.max(1, tokens)
        ? Long.MAX_VALUE / 4
        : tokens * interval;
  }
}
