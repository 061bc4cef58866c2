package dev.melange.pool;

import java.time.Duration;

/**
 * A backend's token bucket, as {@link BackendStatus#rateLimiter()} reports it.
 *
 * @param rate tokens a second now: the configured rate, or what the circuit and health make of it
 *     when adaptive
 * @param configuredRate tokens a second as configured
 * @param burst the most tokens the bucket holds
 * @param availableTokens tokens in the bucket now (whole and partial)
 * @param accepted leases that took a token
 * @param rejected times the bucket was empty when a lease asked for a token
 * @param averageWait how long the leases that took a token waited in the pool's queue, on average
 *     (zero for those that never waited)
 */
public record RateLimiterStats(
    double rate,
    double configuredRate,
    int burst,
    double availableTokens,
    long accepted,
    long rejected,
    Duration averageWait) {}
