package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.CallStats;
import dev.melange.pool.Health;
import dev.melange.pool.RateLimit;
import dev.melange.pool.RateLimiterStats;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.breaker.MeasuredCircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A backend's circuit breaker behind its token bucket: a permit takes a token first, then asks the
 * breaker (a token the breaker refuses goes back). Waiting for a token is the pool's waiting: the
 * bucket admits nothing while empty ({@link #isAdmitting}), and its snapshot says how long until a
 * token comes, so the wait queue wakes up then, in priority order, like for an open circuit.
 *
 * <p>Only backends with a rate limit get one; the others keep their breaker bare, so the limit
 * costs nothing where it is not configured.
 *
 * <p>With an adaptive limit, the bucket's rate follows the circuit (told through the listener the
 * pool gives the breaker) and the health score of the backend's check (read when a token is taken,
 * so a change shows at the next lease or status); each change of the rate is an event.
 */
final class RateLimitedCircuitBreaker implements CircuitBreaker, MeasuredCircuitBreaker {
  private final TokenBucket bucket;
  private final PoolEvents events;
  private final CircuitBreaker breaker;
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder waitedNanos = new LongAdder();

  /** The circuit as last told, for the adaptive rate. */
  private volatile State circuit = State.CLOSED;

  /** The rate last published, as raw double bits: the one to change tells. */
  private final AtomicLong publishedRate;

  /** The slot it guards, for the health score; set right after the slot is made. */
  volatile @Nullable Slot slot;

  private RateLimitedCircuitBreaker(
      RateLimit limit,
      Ticker ticker,
      PoolEvents events,
      CircuitBreaker.Factory breakers,
      Backend backend,
      Listener listener) {
    this.bucket = new TokenBucket(limit, ticker);
    this.events = events;
    this.publishedRate = new AtomicLong(Double.doubleToRawLongBits(limit.rate()));
    this.breaker =
        breakers.create(
            backend,
            ticker,
            (from, to) -> {
              circuit = to;
              adapt();
              listener.onStateChange(from, to);
            });
  }

  /** A breaker from {@code breakers} behind a bucket of {@code limit}. */
  static RateLimitedCircuitBreaker create(
      RateLimit limit,
      Ticker ticker,
      PoolEvents events,
      CircuitBreaker.Factory breakers,
      Backend backend,
      Listener listener) {
    return new RateLimitedCircuitBreaker(limit, ticker, events, breakers, backend, listener);
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  RateLimit limit() {
    return bucket.limit();
  }

  /** Takes a reload's new rate and burst. */
  void reconfigure(RateLimit next) {
    bucket.reconfigure(next);
    adapt();
  }

  @Override
  public boolean isAdmitting() {
    if (!breaker.isAdmitting()) {
      return false;
    }
    if (bucket.hasToken()) {
      return true;
    }
    rejected.increment();
    return false;
  }

  @Override
  public long tryAcquirePermit() {
    adapt();
    if (!bucket.tryTake()) {
      rejected.increment();
      return REFUSED;
    }
    long permit = breaker.tryAcquirePermit();
    if (permit < 0) {
      bucket.giveBack();
    } else {
      accepted.increment();
    }
    return permit;
  }

  @Override
  public void onSuccess(long permit) {
    breaker.onSuccess(permit);
  }

  @Override
  public void onFailure(long permit, Throwable cause) {
    breaker.onFailure(permit, cause);
  }

  @Override
  public void onNoOutcome(long permit) {
    breaker.onNoOutcome(permit);
  }

  /** The breaker's view, with the wait for a token when the bucket is what holds leases back. */
  @Override
  public Snapshot snapshot() {
    Snapshot inner = breaker.snapshot();
    long untilToken = bucket.nanosUntilToken();
    if (untilToken <= inner.nanosUntilRetry()) {
      return inner;
    }
    return new Snapshot(inner.state(), inner.failures(), inner.lastFailureNanos(), untilToken);
  }

  @Override
  public @Nullable CallStats callStats() {
    return breaker instanceof MeasuredCircuitBreaker measured ? measured.callStats() : null;
  }

  /**
   * A lease that took a token was never handed over (its wait ended first): the token goes back.
   */
  void unused() {
    bucket.giveBack();
    accepted.decrement();
  }

  /** A waiter got a lease here after waiting this long in the pool's queue. */
  void waited(long nanos) {
    waitedNanos.add(nanos);
  }

  RateLimiterStats stats() {
    adapt();
    long took = accepted.sum();
    long waited = waitedNanos.sum();
    return new RateLimiterStats(
        bucket.rate(),
        bucket.limit().rate(),
        bucket.limit().burst(),
        bucket.available(),
        took,
        rejected.sum(),
        Duration.ofNanos(took == 0 ? 0 : waited / took));
  }

  /**
   * Moves an adaptive bucket's rate to what the circuit and the health score say now, and tells
   * listeners when it changed (once per change: the thread that swaps the published rate tells).
   */
  private void adapt() {
    RateLimit limit = bucket.limit();
    double factor = limit.adaptive() ? circuitFactor(circuit) * healthFactor(healthScore()) : 1.0;
    if (factor == bucket.factor()) {
      return;
    }
    bucket.factor(factor);
    double to = limit.rate() * factor;
    long before = publishedRate.get();
    long after = Double.doubleToRawLongBits(to);
    if (before != after && publishedRate.compareAndSet(before, after)) {
      Slot target = slot;
      if (target != null) {
        events.rateChanged(target.backend.addr(), Double.longBitsToDouble(before), to);
      }
    }
  }

  private double healthScore() {
    Slot target = slot;
    return target == null || target.health.effective() == Health.UNKNOWN
        ? Double.NaN
        : target.health.healthScore();
  }

  /** Closed 100%, half-open 50%, open 20%, as the reference document has it. */
  static double circuitFactor(State state) {
    return switch (state) {
      case CLOSED -> 1.0;
      case HALF_OPEN -> 0.5;
      case OPEN -> 0.2;
    };
  }

  /**
   * 10% at a score of 0, 80% at 0.5, 150% at 1, linear in between (one line through all three); no
   * score (NaN) leaves the rate alone.
   */
  static double healthFactor(double score) {
    if (Double.isNaN(score)) {
      return 1.0;
    }
    double clamped = Math.max(0, Math.min(1, score));
    return 0.1 + 1.4 * clamped;
  }

  @Override
  public String toString() {
    return breaker + " behind " + bucket.limit();
  }
}
