package dev.melange.pool;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a backend's circuit breaker has counted over its rolling window: {@link
 * CircuitBreakerPolicy.FailureRate failure-rate} and {@link CircuitBreakerPolicy.Failsafe failsafe}
 * breakers report these (a consecutive one counts only failures in a row, which {@link
 * BackendStatus#failures()} shows).
 *
 * @param window how far back the counts go; null when the window is a number of calls rather than a
 *     time (a Failsafe breaker without a thresholding period counts its last {@code capacity})
 * @param calls leases ended in the window, plus those still out longer than the slow-call duration
 * @param failures leases that failed in the window
 * @param failureRate {@code failures} as a percentage of {@code calls}, 0–100 (0 with no calls)
 * @param slowCalls leases held longer than the slow-call duration, ended or still out
 * @param slowCallRate {@code slowCalls} as a percentage of {@code calls}, 0–100
 */
public record CallStats(
    @Nullable Duration window,
    long calls,
    long failures,
    double failureRate,
    long slowCalls,
    double slowCallRate) {}
