package dev.melange.pool;

/**
 * A token bucket for one backend: each lease takes a token; tokens come back at {@code rate} a
 * second, and the bucket holds at most {@code burst}, so a backend idle for a while may take {@code
 * burst} leases at once and then {@code rate} a second. Rate and burst are separate settings (in
 * Resilience4j they are one). YAML: {@code rateLimit: {rate: 10/s, burst: 20}}.
 *
 * <p>With {@code adaptive}, the rate follows the backend's state: 100% of {@code rate} while its
 * circuit is closed, 50% half-open, 20% open; and, when its health check gives a score (the {@code
 * window} model: the share of recent probes that passed), 150% at a score of 1.0, 80% at 0.5, 10%
 * at 0.0, linear in between. The two factors multiply.
 *
 * @param rate tokens a second; positive and finite (at least one a day)
 * @param burst the most tokens the bucket holds, 1–1,000,000
 * @param adaptive whether the rate follows the circuit and the health score
 */
public record RateLimit(double rate, int burst, boolean adaptive) {

  /** The most tokens a bucket holds. */
  public static final int MAX_BURST = 1_000_000;

  /** The lowest rate: one token a day. */
  public static final double MIN_RATE = 1.0 / 86_400;

  /** Checks the settings, naming the bad one. */
  public RateLimit {
    Checks.require(
        rate >= MIN_RATE && rate <= 1e9,
        "rate must be from one a day to 1e9 a second, was " + rate + "/s");
    Checks.require(
        burst >= 1 && burst <= MAX_BURST,
        "burst must be from 1 to " + MAX_BURST + ", was " + burst);
  }

  /**
   * A fixed rate of {@code rate} tokens a second, holding at most {@code burst}.
   *
   * @throws IllegalArgumentException naming the bad setting
   */
  public static RateLimit of(double rate, int burst) {
    return new RateLimit(rate, burst, false);
  }

  /** A copy whose rate follows the circuit and the health score, or not. */
  public RateLimit withAdaptive(boolean adaptive) {
    return new RateLimit(rate, burst, adaptive);
  }

  /** The rate and burst as YAML writes them, e.g. {@code 10/s burst 20 (adaptive)}. */
  @Override
  public String toString() {
    String number = rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    return number + "/s burst " + burst + (adaptive ? " (adaptive)" : "");
  }
}
