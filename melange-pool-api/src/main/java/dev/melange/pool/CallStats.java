package dev.melange.pool;

import java.time.Duration;

/**
 * What a backend's circuit breaker has counted over its rolling window: a {@link
 * CircuitBreakerPolicy.FailureRate failure-rate} breaker reports these (a consecutive one counts
 * only failures in a row, which {@link BackendStatus#failures()} shows).
 *
 * @param window how far back the counts go
 * @param calls leases ended in the window, plus those still out longer than the slow-call duration
 * @param failures leases that failed in the window
 * @param failureRate {@code failures} as a percentage of {@code calls}, 0–100 (0 with no calls)
 * @param slowCalls leases held longer than the slow-call duration, ended or still out
 * @param slowCallRate {@code slowCalls} as a percentage of {@code calls}, 0–100
 */
public record CallStats(
    Duration window,
    long calls,
    long failures,
    double failureRate,
    long slowCalls,
    double slowCallRate) {}
