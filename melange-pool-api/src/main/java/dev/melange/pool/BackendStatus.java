package dev.melange.pool;

import dev.melange.pool.spi.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of one backend, as melange-server's status API reports it. Each field is
 * read without stopping the pool, so fields of one status may be a few operations apart.
 *
 * @param addr the backend's address
 * @param arch its architecture: as configured, or as learned from its health probe; empty while it
 *     is still to be learned
 * @param labels its labels
 * @param maxJobs its limit (the pool default when configured as 0)
 * @param effectiveMaxJobs its limit now: {@code maxJobs}, or less while it ramps up after a slow
 *     start or while its adaptive limit holds it lower
 * @param activeJobs leases currently out on it
 * @param weight its configured weight
 * @param backup whether it is a backup backend
 * @param failures consecutive failures its circuit breaker counts
 * @param circuitOpen whether its circuit is open or half-open (not closed)
 * @param lastFailure when the last failure was recorded, or null if never
 * @param latencyEstimate its peak-EWMA estimate of a lease's duration, decayed to now; null unless
 *     the pool's strategy measures latency ({@code peak-ewma})
 * @param adminState what the operator wants of it: ready, cordoned or draining
 * @param circuitState its circuit: closed, open, or half-open (open but letting a trial through)
 * @param health its health as the pool acts on it: an operator's override, else what is observed
 *     (healthy without a health check)
 * @param lastProbe when its health check last answered (or timed out), or null if never
 * @param lastProbeResult what that answer was ({@code ok}, {@code HTTP 503}, {@code connection
 *     refused}, {@code timed out after 2s}), or null if never
 * @param calls what its circuit breaker counted over its window (calls, failures, slow calls), or
 *     null when its breaker keeps no window (the default consecutive breaker)
 * @param rateLimiter its token bucket, or null without a rate limit
 * @param adaptiveLimit its adaptive concurrency limit now (also in {@code effectiveMaxJobs}), or
 *     null without one
 * @param daemon what its health probe last learned about its daemon (version, platforms, workers),
 *     or null when its probe reports nothing of the kind
 * @param emulatedArchs the archs it also takes jobs for under emulation, behind their native
 *     backends: empty unless it {@link Backend#allowEmulated allows emulation} and its daemon
 *     reported some
 * @param problem what is wrong with it, for an operator to fix, or null when nothing is: why the
 *     pool holds it out though nothing else does (its configured arch contradicts its daemon's
 *     native platform), or a warning about its configuration that holds nothing out (an arch
 *     melange does not know, such as {@code amd64}, with the name meant: {@code x86_64}); both,
 *     separated by {@code "; "}, when both apply
 */
public record BackendStatus(
    String addr,
    String arch,
    Map<String, String> labels,
    int maxJobs,
    int effectiveMaxJobs,
    int activeJobs,
    int weight,
    boolean backup,
    int failures,
    boolean circuitOpen,
    @Nullable Instant lastFailure,
    @Nullable Duration latencyEstimate,
    AdminState adminState,
    CircuitBreaker.State circuitState,
    Health health,
    @Nullable Instant lastProbe,
    @Nullable String lastProbeResult,
    @Nullable CallStats calls,
    @Nullable RateLimiterStats rateLimiter,
    @Nullable Integer adaptiveLimit,
    @Nullable DaemonInfo daemon,
    List<String> emulatedArchs,
    @Nullable String problem) {

  /** Copies the labels, keeping their order, and the archs. */
  public BackendStatus {
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    emulatedArchs = List.copyOf(emulatedArchs);
  }
}
