package dev.melange.pool.core;

import dev.melange.pool.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * One backend's peak-EWMA estimate of how long a lease takes (Finagle's and sozu's). With {@code w
 * = exp(-elapsed / decay)}, where {@code elapsed} is the time since the last sample: a sample above
 * the estimate decayed to now ({@code estimate * w}) replaces it; a smaller one gives {@code
 * estimate * w + sample * (1 - w)}. Read, the estimate decays the same way towards zero (as if a
 * zero sample arrived now), so a backend left alone after a slow spell looks cheap again and gets
 * tried.
 *
 * <p>Lock-free and allocation-free: the estimate is a {@code double} kept as bits in a {@code long}
 * and changed by compare-and-set; the time of the last sample is written after it. The two are not
 * updated as one, so two samples at the same moment may each decay from a slightly stale time: the
 * estimate is a heuristic, and it stays within the samples' range.
 */
final class LatencyEstimate {
  /** The estimate of a backend with no samples yet (Finagle's and sozu's seed). */
  static final Duration SEED = Duration.ofMillis(50);

  private static final VarHandle BITS;

  static {
    try {
      BITS = MethodHandles.lookup().findVarHandle(LatencyEstimate.class, "bits", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private final double decayNanos;
  private volatile long bits;
  private volatile long stampNanos;

  LatencyEstimate(Ticker ticker, Duration decay) {
    this.ticker = ticker;
    this.decayNanos = decay.toNanos();
    this.stampNanos = ticker.read();
    this.bits = Double.doubleToRawLongBits((double) SEED.toNanos());
  }

  /** The ticker this estimate reads, which also times the leases that feed it. */
  Ticker ticker() {
    return ticker;
  }

  /** Feeds the duration of one lease, ended now. */
  void record(long sampleNanos, long nowNanos) {
    double sample = Math.max(0, sampleNanos);
    while (true) {
      long current = bits;
      double w = weight(nowNanos - stampNanos);
      // Decayed to now, as a read would see it: estimate * w + sample * (1 - w) is that plus the
      // sample's share.
      double decayed = Double.longBitsToDouble(current) * w;
      double next = sample > decayed ? sample : decayed + sample * (1 - w);
      if (BITS.compareAndSet(this, current, Double.doubleToRawLongBits(next))) {
        stampNanos = nowNanos;
        return;
      }
    }
  }

  /**
   * The estimate now, in nanoseconds, decayed since the last sample; at least 1, so that a cost of
   * {@code (active + 1) × estimate} still tells a busy backend from an idle one after a long quiet
   * spell.
   */
  long nanos() {
    double estimate = Double.longBitsToDouble(bits);
    return Math.max(1, (long) (estimate * weight(ticker.read() - stampNanos)));
  }

  private double weight(long elapsedNanos) {
    return elapsedNanos <= 0 ? 1 : Math.exp(-elapsedNanos / decayNanos);
  }
}
