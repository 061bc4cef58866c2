package dev.melange.pool;

import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.HealthProbe;
import dev.melange.pool.spi.LoadBalancer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A pool of build backends that hands each job the right one: a backend of the requested
 * architecture whose labels match the selector, chosen by the pool's strategy (by default the least
 * loaded, ties to the earliest in configuration order) or by an affinity key, never more than its
 * {@code maxJobs} at once, and never one whose circuit breaker refuses it. When every matching
 * backend is busy, callers wait, and a finished lease hands its slot straight to the waiter of the
 * highest {@link Priority} that can use it, the oldest among equals (waiters gain a level for each
 * {@link Builder#priorityAging} they wait, so none starves).
 *
 * <p>Thread-safe. Acquiring and releasing take no lock and allocate nothing but the {@link Lease};
 * adding and removing backends publish a new snapshot and never disturb leases that are out.
 *
 * <pre>{@code
 * try (BackendPool pool = BackendPool.fromYaml(Path.of("backends.yaml"));
 *      Lease lease = pool.acquire("x86_64", Selector.parse("tier=high-memory"))) {
 *   build(lease.backend().addr());
 *   lease.recordSuccess();
 * }
 * }</pre>
 *
 * <p>The implementation is found with {@link java.util.ServiceLoader}: add {@code
 * dev.melange:melange-pool-core} to the class path or module path.
 */
public interface BackendPool extends AutoCloseable {

  /**
   * A pool configured by a YAML file in melange-server's {@code backends.yaml} format.
   *
   * @throws PoolConfigException on any problem with the file, each located as {@code
   *     <file>:<line>:<column>: <path>: <problem>}; no pool is created
   */
  static BackendPool fromYaml(Path path) {
    return Providers.provider().fromYaml(path);
  }

  /**
   * melange-server's single-backend mode: a pool of one backend with default settings.
   *
   * @param addr the backend's address
   * @param arch its architecture; null or blank means {@code x86_64}
   * @throws IllegalArgumentException {@code addr is required} when blank
   */
  static BackendPool single(String addr, @Nullable String arch) {
    String effectiveArch = arch == null || arch.isBlank() ? "x86_64" : arch;
    return builder().backend(Backend.of(addr, effectiveArch)).build();
  }

  /** A builder for a pool configured in code. */
  static Builder builder() {
    return Providers.provider().newBuilder();
  }

  /**
   * A lease on a backend of {@code arch} matching {@code selector}, chosen by the pool's strategy
   * (least-loaded by default), waiting up to the pool's {@code acquireTimeout} for a slot.
   *
   * @throws NoBackendAvailableException at once when no backend has the arch or none matches the
   *     selector, after the timeout when all matching backends stayed at capacity or circuit-open,
   *     or when the pool is closed
   * @throws InterruptedException if interrupted while waiting; no lease is held then
   */
  Lease acquire(String arch, Selector selector) throws InterruptedException;

  /**
   * Like {@link #acquire(String, Selector)} with an explicit timeout.
   *
   * @param timeout how long to wait for a slot; {@link Duration#ZERO} means do not wait
   * @throws IllegalArgumentException if the timeout is negative
   * @throws NoBackendAvailableException as {@link #acquire(String, Selector)} says, the timeout
   *     being this one
   * @throws InterruptedException if interrupted while waiting; no lease is held then
   */
  Lease acquire(String arch, Selector selector, Duration timeout) throws InterruptedException;

  /**
   * A lease if one can be had right now; empty whatever the reason one cannot (no such arch, no
   * match, no capacity, pool closed). Never blocks.
   */
  Optional<Lease> tryAcquire(String arch, Selector selector);

  /**
   * Like {@link #acquire(String, Selector, Duration)}, but parks no thread: the future completes
   * with the lease, or exceptionally with a {@link NoBackendAvailableException}. Cancelling the
   * future gives up the place in line (and any lease granted concurrently goes back to the pool).
   *
   * <p>Completion runs dependent stages on the thread that completes the future: one that released
   * a lease, or the pool's single timer thread (timeouts, circuit recovery). A slow or blocking
   * stage there delays other waiters' futures (their slots are reserved for them meanwhile) and the
   * pool's other timeouts: use the {@code *Async} stages for anything slow. Once its timeout has
   * run out, the future gets no lease, even when the timer is late to fail it.
   *
   * @throws IllegalArgumentException if the timeout is negative
   */
  CompletableFuture<Lease> acquireAsync(String arch, Selector selector, Duration timeout);

  /**
   * Like {@link #acquire(String, Selector)}, with options: a timeout (the pool's {@code
   * acquireTimeout} when null), an affinity key and a priority. With a key, the backend is the
   * key's home by consistent hashing among the candidates, or the next in the key's order when the
   * home is full, circuit-open or would exceed the affinity load bound; without one, the pool's
   * strategy picks. The priority orders this acquire among the waiters ({@link Priority}); the
   * acquires without options are {@link Priority#NORMAL}.
   *
   * @throws NoBackendAvailableException as {@link #acquire(String, Selector)}
   * @throws InterruptedException if interrupted while waiting; no lease is held then
   */
  Lease acquire(String arch, Selector selector, AcquireOptions options) throws InterruptedException;

  /**
   * Like {@link #tryAcquire(String, Selector)}, with options (the timeout is ignored: this never
   * waits).
   */
  Optional<Lease> tryAcquire(String arch, Selector selector, AcquireOptions options);

  /**
   * Like {@link #acquireAsync(String, Selector, Duration)}, with options (the pool's {@code
   * acquireTimeout} when the timeout is null).
   */
  CompletableFuture<Lease> acquireAsync(String arch, Selector selector, AcquireOptions options);

  /**
   * Adds a backend; waiters that can use it get its slots at once.
   *
   * @throws DuplicateBackendException {@code backend already exists: <addr>}
   * @throws IllegalArgumentException when the pool's health check cannot probe it, or it leaves its
   *     arch out and that check does not discover archs ({@code arch is required for <addr>: ...})
   * @throws PoolException if the pool is closed
   */
  void add(Backend backend);

  /**
   * Removes a backend: it gets no new leases from now on, while leases already out finish normally.
   * A backend added later with the same address starts afresh. The address is compared in canonical
   * form ({@link Backend#canonicalAddr}): {@code TCP://X1:1234} removes {@code tcp://x1:1234}.
   *
   * @throws BackendNotFoundException {@code backend not found: <addr>}
   * @throws PoolException {@code cannot remove the last backend}, {@code cannot remove the last
   *     backend that is not draining}, or if the pool is closed
   */
  void remove(String addr);

  /**
   * Holds the backends whose address matches {@code pattern} out of new leases; their leases out
   * finish normally. Draining backends stay draining.
   *
   * @param pattern a glob over addresses: {@code *} matches any run of characters, {@code ?} any
   *     one, e.g. {@code tcp://buildkit-arm*} or {@code *:1234}; it is matched, case-sensitively,
   *     against the canonical addresses ({@link Backend#canonicalAddr}: scheme and host in lower
   *     case) that {@link #backends()} shows
   * @return the backends matched, in configuration order
   * @throws BackendNotFoundException {@code no backend matches "<pattern>"}, and nothing changes
   * @throws PoolException if the pool is closed
   */
  List<Backend> cordon(String pattern);

  /**
   * Lets cordoned backends whose address matches {@code pattern} take leases again.
   *
   * @return the backends matched, in configuration order
   * @throws BackendNotFoundException {@code no backend matches "<pattern>"}, and nothing changes
   * @throws PoolException {@code cannot uncordon draining backends: <addrs>} when the pattern
   *     matches a draining backend, and nothing changes; or if the pool is closed
   */
  List<Backend> uncordon(String pattern);

  /**
   * Takes the backends whose address matches {@code pattern} out of the pool gracefully: no new
   * leases from now on, and each is removed once its last lease ends. The future completes with the
   * backends matched when all of them are gone; it fails if the pool closes first.
   *
   * @return the backends matched, in configuration order, once all are removed
   * @throws BackendNotFoundException {@code no backend matches "<pattern>"}, and nothing changes
   * @throws PoolException {@code cannot drain every backend} when no backend would remain, and
   *     nothing changes; or if the pool is closed
   */
  CompletableFuture<List<Backend>> drain(String pattern);

  /**
   * Overrides the health of the backends whose address matches {@code pattern}: {@link
   * HealthOverride#HEALTHY} or {@link HealthOverride#UNHEALTHY} whatever is observed, or {@link
   * HealthOverride#AUTO} to go back to what is observed (without a health check: healthy). An
   * unhealthy backend gets no new leases (leases out finish), unless every candidate of a request
   * is unhealthy and the pool fails open ({@link Builder#failOpen}); one that turns healthy again
   * slow-starts.
   *
   * @return the backends matched, in configuration order
   * @throws BackendNotFoundException {@code no backend matches "<pattern>"}, and nothing changes
   * @throws PoolException if the pool is closed
   */
  List<Backend> setHealth(String pattern, HealthOverride override);

  /**
   * Calls {@code listener} with every {@link PoolEvent} from now on, in order, on the pool's event
   * thread (one per pool, started with the first subscriber). A listener that throws is logged and
   * goes on receiving; a slow one delays the listeners after it, never the pool; events beyond
   * 10,000 waiting for delivery are dropped, with a warning. Without listeners, events cost
   * nothing.
   *
   * @return closing it unsubscribes (idempotent)
   */
  AutoCloseable subscribe(Consumer<PoolEvent> listener);

  /**
   * Reloads the pool's configuration from a YAML file of the same format as {@link
   * #fromYaml(Path)}'s, keeping what has not changed. The whole file is checked first; then:
   *
   * <ul>
   *   <li>backends still listed keep their slots, leases, circuit, health and counters; a changed
   *       {@code maxJobs}, {@code labels}, {@code weight} or {@code backup} applies in place, a
   *       changed health check starts the new one (from the health the backend has now, when no
   *       other pool probes it with those settings yet);
   *   <li>backends no longer listed drain (as {@link #drain}): no new leases, removed once their
   *       last lease ends;
   *   <li>new backends are added, and slow-start;
   *   <li>a backend listed with another {@code arch} is replaced: the old one is removed at once
   *       (its leases finish), the new one added;
   *   <li>{@code acquireTimeout}, {@code priorityAging}, {@code defaultMaxJobs}, {@code failOpen}
   *       and {@code watch} take effect (a new {@code priorityAging} applies to the callers already
   *       waiting too). Operators' states stay: a cordoned backend stays cordoned, a draining one
   *       keeps draining.
   * </ul>
   *
   * @throws PoolConfigException on any problem with the file, located as {@link #fromYaml(Path)}
   *     locates it, or when it changes a setting a running pool cannot change ({@code strategy},
   *     {@code affinity}, {@code slowStart}, {@code failureThreshold}, {@code recoveryTimeout});
   *     the pool is left exactly as it was
   * @throws PoolException if the pool is closed
   */
  void reload(Path path);

  /**
   * Like {@link #reload(Path)}, from a configuration given in code: the backends and settings
   * {@code config} holds, as {@link Builder#build()} would take them.
   *
   * @throws IllegalArgumentException naming what is wrong, or what a running pool cannot change
   *     (its strategy, affinity load factor, slow start, ticker or circuit breakers); the pool is
   *     left exactly as it was
   * @throws PoolException if the configuration has no backend, or the pool is closed
   * @throws DuplicateBackendException when two backends share an address
   */
  void reload(Builder config);

  /**
   * The backends, in configuration (then insertion) order. A backend whose arch its health probe
   * learns ({@link Backend#discover}) shows the arch learned, and an empty one until then.
   */
  List<Backend> backends();

  /**
   * The backends that build one architecture natively, in configuration order; empty for an unknown
   * arch. Backends that take it only under emulation ({@link Backend#allowEmulated}) are not
   * listed.
   */
  List<Backend> backends(String arch);

  /**
   * The backends whose address matches {@code pattern}, the glob that {@link #cordon}, {@link
   * #uncordon}, {@link #drain} and {@link #setHealth} take, in configuration order: what those
   * calls would act on now (a tool can say what a drain matched without matching addresses itself).
   * Matching takes time linear in the pattern and address for all practical patterns.
   *
   * @return the backends matched, each with the arch it builds for natively; empty when none
   */
  List<Backend> backendsMatching(String pattern);

  /**
   * The distinct architectures a lease may be had for, in the order first seen: those backends
   * build natively, then those only emulating backends take.
   */
  List<String> architectures();

  /** One status per backend, in configuration order. */
  List<BackendStatus> status();

  /**
   * The sum of the backends' effective {@code maxJobs}: a {@code long}, as thousands of backends of
   * up to {@link Backend#MAX_JOBS_LIMIT} each exceed an {@code int}.
   */
  long totalCapacity();

  /**
   * Closes the pool: waiters fail promptly with {@link
   * NoBackendAvailableException.Reason#POOL_CLOSED}, later acquires throw the same, and leases
   * already out may still be ended. Idempotent.
   */
  @Override
  void close();

  /** Configures a pool in code. Not thread-safe; {@link #build()} may be called more than once. */
  interface Builder {

    /**
     * Adds a backend, in order.
     *
     * @throws DuplicateBackendException from {@link #build()} if two share an address (in canonical
     *     form: {@code tcp://x1:1234} and {@code TCP://X1:1234} are one address)
     */
    Builder backend(Backend backend);

    /**
     * The {@code maxJobs} of backends configured with 0. Default 4.
     *
     * @throws IllegalArgumentException if less than 1
     */
    Builder defaultMaxJobs(int n);

    /**
     * Consecutive failures that open a backend's circuit. Default 3.
     *
     * @throws IllegalArgumentException if less than 1
     */
    Builder failureThreshold(int n);

    /**
     * How long an open circuit refuses leases before it lets one trial through. Default 30s.
     *
     * @throws IllegalArgumentException if negative
     */
    Builder recoveryTimeout(Duration d);

    /**
     * How long {@link BackendPool#acquire(String, Selector)} waits for a slot. Default 30s.
     *
     * @throws IllegalArgumentException if negative
     */
    Builder acquireTimeout(Duration d);

    /**
     * How long a waiting acquire waits before its priority rises one level ({@link Priority#LOW} to
     * {@link Priority#NORMAL} to {@link Priority#HIGH} to {@link Priority#CRITICAL}): after {@code
     * n} full periods it counts as {@code n} levels higher, at most {@code CRITICAL}, so a low
     * priority never starves. Default 10s. A reload may change it.
     *
     * @throws IllegalArgumentException {@code priorityAging must be > 0, was <d>} if zero or
     *     negative
     */
    Builder priorityAging(Duration d);

    /**
     * The strategy that picks among the candidates, by name: {@code least-loaded} (the default),
     * {@code round-robin}, {@code random}, {@code weighted-random}, {@code power-of-two}, {@code
     * weighted-least-request} or {@code peak-ewma}, each with its default settings.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    Builder strategy(String name);

    /** A custom strategy; see {@link LoadBalancer}. */
    Builder strategy(LoadBalancer strategy);

    /**
     * How far an affinity key's home may be loaded beyond the average before the key goes to the
     * next backend in its order: a backend takes the key while its active leases stay within {@code
     * ceil(loadFactor * (total active + 1) / candidates)}. Default 1.25.
     *
     * @throws IllegalArgumentException unless at least 1 and finite
     */
    Builder affinityLoadFactor(double loadFactor);

    /**
     * How long a backend that becomes eligible again (added to the running pool, or its circuit
     * closed after being open) ramps up: its effective {@code maxJobs} and weight grow linearly
     * from 1 to the configured values over this time. Default {@link Duration#ZERO}, no ramp;
     * backends given at build time never ramp.
     *
     * @throws IllegalArgumentException if negative or above one hour
     */
    Builder slowStart(Duration d);

    /**
     * Whether a request whose every candidate is unhealthy goes to those whose circuit admits it
     * (sozu's fail-open) rather than waiting for one to turn healthy. Default true.
     */
    Builder failOpen(boolean failOpen);

    /**
     * Checks every backend's health with {@code check} (unless {@link #healthCheck(String,
     * HealthCheck)} says otherwise for a backend); null for none, the default. A backend under a
     * health check gets leases only while healthy; its first probe runs as soon as it joins the
     * pool.
     */
    Builder healthCheck(@Nullable HealthCheck check);

    /**
     * Checks the health of the backend at {@code addr} with {@code check} instead of the pool-wide
     * check; null for no check of that backend. Here and in every setting for one backend, {@code
     * addr} is compared in canonical form ({@link Backend#canonicalAddr}).
     *
     * @throws IllegalArgumentException from {@link #build()} if no backend has that address
     */
    Builder healthCheck(String addr, @Nullable HealthCheck check);

    /**
     * Makes health checks of {@code factory.type()} use {@code factory}, in this pool, ahead of the
     * built-in types and those {@link java.util.ServiceLoader} finds.
     */
    Builder healthProbe(HealthProbe.Factory factory);

    /** The time source for timeouts and circuit breakers. Default {@link Ticker#system()}. */
    Builder ticker(Ticker ticker);

    /**
     * The circuit breaker each backend gets, made by a custom factory. Default: one that opens
     * after {@link #failureThreshold} consecutive failures and admits one trial lease after {@link
     * #recoveryTimeout} (those two settings configure only the default). Replaces a pool-wide
     * {@link #circuitBreaker(CircuitBreakerPolicy) policy}.
     *
     * @throws IllegalArgumentException from {@link #build()} if a backend has a policy of its own
     */
    Builder circuitBreaker(CircuitBreaker.Factory factory);

    /**
     * The circuit breaker each backend gets, by policy: {@link CircuitBreakerPolicy.Consecutive}
     * (the default, from {@link #failureThreshold} and {@link #recoveryTimeout}), {@link
     * CircuitBreakerPolicy.FailureRate} or {@link CircuitBreakerPolicy.Failsafe}. Replaces a custom
     * {@link #circuitBreaker(CircuitBreaker.Factory) factory}.
     *
     * @throws IllegalStateException for a {@link CircuitBreakerPolicy.Failsafe} policy when
     *     Failsafe ({@code dev.failsafe:failsafe}, an optional dependency of melange-pool-core) is
     *     not on the class path
     */
    Builder circuitBreaker(CircuitBreakerPolicy policy);

    /**
     * The circuit breaker of the backend at {@code addr}, instead of the pool-wide one.
     *
     * @throws IllegalArgumentException from {@link #build()} if no backend has that address
     * @throws IllegalStateException for a {@link CircuitBreakerPolicy.Failsafe} policy without
     *     Failsafe on the class path, as {@link #circuitBreaker(CircuitBreakerPolicy)} says
     */
    Builder circuitBreaker(String addr, CircuitBreakerPolicy policy);

    /**
     * A token bucket for every backend (unless {@link #rateLimit(String, RateLimit)} says otherwise
     * for one); null for none, the default. A backend whose bucket is empty takes no lease: {@code
     * tryAcquire} passes it over, {@code acquire} waits in the pool's queue until a token comes.
     */
    Builder rateLimit(@Nullable RateLimit limit);

    /**
     * The token bucket of the backend at {@code addr}, instead of the pool-wide one; null for none.
     *
     * @throws IllegalArgumentException from {@link #build()} if no backend has that address
     */
    Builder rateLimit(String addr, @Nullable RateLimit limit);

    /**
     * An adaptive concurrency limit for every backend (unless {@link #adaptiveLimit(String,
     * AdaptiveLimit)} says otherwise for one); null for none, the default.
     */
    Builder adaptiveLimit(@Nullable AdaptiveLimit limit);

    /**
     * The adaptive concurrency limit of the backend at {@code addr}, instead of the pool-wide one;
     * null for none.
     *
     * @throws IllegalArgumentException from {@link #build()} if no backend has that address
     */
    Builder adaptiveLimit(String addr, @Nullable AdaptiveLimit limit);

    /**
     * A named preset's breaker and rate limit for every backend; null for none, the default. An
     * explicit {@link #circuitBreaker(CircuitBreakerPolicy)} or {@link #rateLimit(RateLimit)}
     * replaces the preset's.
     */
    Builder policy(@Nullable ResiliencePreset preset);

    /**
     * A named preset for the backend at {@code addr}, instead of the pool's settings; its own
     * {@link #circuitBreaker(String, CircuitBreakerPolicy)} or {@link #rateLimit(String,
     * RateLimit)} replaces the preset's.
     *
     * @throws IllegalArgumentException from {@link #build()} if no backend has that address
     */
    Builder policy(String addr, ResiliencePreset preset);

    /**
     * Switches every backend's breaker and rate limit: as configured (the default), strict,
     * relaxed, or off. The environment variable {@code MELANGE_POOL_RESILIENCE} wins over this.
     */
    Builder resilience(ResilienceMode mode);

    /**
     * Builds the pool.
     *
     * @throws PoolException {@code at least one backend is required} when none was added
     * @throws DuplicateBackendException when two backends share an address
     */
    BackendPool build();
  }
}
