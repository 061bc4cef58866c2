package dev.melange.pool.benchmarks;

import dev.melange.pool.AcquireOptions;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.HealthOverride;
import dev.melange.pool.Lease;
import dev.melange.pool.PoolEvent;
import dev.melange.pool.Selector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A pool whose plain {@link #acquire(String, Selector)} acquires with the next of {@link #KEYS}
 * affinity keys, made up front. It lets {@link AcquireReleaseBenchmark} measure affinity with the
 * very same measured method as the strategies: per trial the call site sees one pool class, so the
 * strategies' round trip carries nothing for affinity. Everything else is passed through.
 */
final class AffinityKeyedPool implements BackendPool {
  /** Distinct keys cycled through; a power of two, so that the cycle is a mask. */
  static final int KEYS = 1024;

  private final BackendPool pool;
  private final AcquireOptions[] options = new AcquireOptions[KEYS];

  /** Shared by the threads, racily: a lost increment only repeats a key. */
  private int next;

  AffinityKeyedPool(BackendPool pool) {
    this.pool = pool;
    for (int i = 0; i < KEYS; i++) {
      options[i] = AcquireOptions.defaults().withAffinityKey("pkg-" + i);
    }
  }

  @Override
  public Lease acquire(String arch, Selector selector) throws InterruptedException {
    return pool.acquire(arch, selector, options[next++ & (KEYS - 1)]);
  }

  @Override
  public Lease acquire(String arch, Selector selector, Duration timeout)
      throws InterruptedException {
    return pool.acquire(arch, selector, timeout);
  }

  @Override
  public Optional<Lease> tryAcquire(String arch, Selector selector) {
    return pool.tryAcquire(arch, selector);
  }

  @Override
  public CompletableFuture<Lease> acquireAsync(String arch, Selector selector, Duration timeout) {
    return pool.acquireAsync(arch, selector, timeout);
  }

  @Override
  public Lease acquire(String arch, Selector selector, AcquireOptions options)
      throws InterruptedException {
    return pool.acquire(arch, selector, options);
  }

  @Override
  public Optional<Lease> tryAcquire(String arch, Selector selector, AcquireOptions options) {
    return pool.tryAcquire(arch, selector, options);
  }

  @Override
  public CompletableFuture<Lease> acquireAsync(
      String arch, Selector selector, AcquireOptions options) {
    return pool.acquireAsync(arch, selector, options);
  }

  @Override
  public void add(Backend backend) {
    pool.add(backend);
  }

  @Override
  public void remove(String addr) {
    pool.remove(addr);
  }

  @Override
  public List<Backend> cordon(String pattern) {
    return pool.cordon(pattern);
  }

  @Override
  public List<Backend> uncordon(String pattern) {
    return pool.uncordon(pattern);
  }

  @Override
  public CompletableFuture<List<Backend>> drain(String pattern) {
    return pool.drain(pattern);
  }

  @Override
  public List<Backend> setHealth(String pattern, HealthOverride override) {
    return pool.setHealth(pattern, override);
  }

  @Override
  public AutoCloseable subscribe(Consumer<PoolEvent> listener) {
    return pool.subscribe(listener);
  }

  @Override
  public void reload(Path path) {
    pool.reload(path);
  }

  @Override
  public void reload(Builder config) {
    pool.reload(config);
  }

  @Override
  public List<Backend> backends() {
    return pool.backends();
  }

  @Override
  public List<Backend> backendsMatching(String pattern) {
    return pool.backendsMatching(pattern);
  }

  @Override
  public List<Backend> backends(String arch) {
    return pool.backends(arch);
  }

  @Override
  public List<String> architectures() {
    return pool.architectures();
  }

  @Override
  public List<BackendStatus> status() {
    return pool.status();
  }

  @Override
  public long totalCapacity() {
    return pool.totalCapacity();
  }

  @Override
  public void close() {
    pool.close();
  }
}
