package dev.melange.pool;

import org.jspecify.annotations.Nullable;

/**
 * One job's hold on one slot of a backend, from {@link BackendPool#acquire} until it ends. A lease
 * ends exactly once: the first of {@link #recordSuccess()}, {@link #recordFailure(Throwable)} and
 * {@link #close()} gives the slot back (to the first waiter by {@link Priority} and then arrival
 * that can use it, if any) and reports the outcome to the backend's circuit breaker; later calls do
 * nothing. Thread-safe.
 *
 * <p>Use it with try-with-resources, so an exception that escapes the build still ends the lease:
 *
 * <pre>{@code
 * try (Lease lease = pool.acquire("x86_64", Selector.any())) {
 *   build(lease.backend().addr());
 *   lease.recordSuccess();
 * }
 * }</pre>
 */
public interface Lease extends AutoCloseable {

  /**
   * The backend this lease holds a slot of; for one that left its arch out, with the arch its
   * health probe learned ({@link Backend#discover}).
   */
  Backend backend();

  /**
   * The job succeeded: ends the lease and tells the circuit breaker (which resets its failure
   * count, or closes a half-open circuit). Does nothing if the lease has already ended.
   */
  void recordSuccess();

  /**
   * The job failed because of the backend: ends the lease and tells the circuit breaker (which
   * counts the failure, and may open the circuit). Does nothing if the lease has already ended.
   *
   * @param cause what went wrong; passed to the circuit breaker. Null is taken as a failure whose
   *     cause is unknown: the lease ends all the same, and never throws
   */
  void recordFailure(@Nullable Throwable cause);

  /**
   * Ends the lease with no outcome: the circuit breaker is not told anything but that the lease is
   * over (a half-open circuit's trial is freed for the next caller). Does nothing if the lease has
   * already ended.
   */
  @Override
  void close();
}
