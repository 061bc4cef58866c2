package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.AdminState;
import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The races of issue 16 ("Hardening"), each reproduced deterministically through the public API,
 * with a hook only where the interleaving needs one: the pool's timer held busy by a task of the
 * test's, or the wait queue's lock.
 */
class Issue16RacesTest {
  private static final String ARCH = "x86_64";
  private static final Duration SETTLE = Duration.ofSeconds(10);

  private static Backend backend(String name) {
    return new Backend("tcp://" + name + ":1", ARCH, 2, Map.of("name", name));
  }

  private static BackendPool.Builder poolOf(String... names) {
    BackendPool.Builder builder = BackendPool.builder().acquireTimeout(Duration.ZERO);
    for (String name : names) {
      builder.backend(backend(name));
    }
    return builder;
  }

  /** Holds the pool's timer thread until the latch opens: what is queued on it waits meanwhile. */
  private static void holdTimer(BackendPool pool, CountDownLatch release) throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    ((LocalBackendPool) pool)
        .schedule(
            () -> {
              started.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            0);
    assertThat(started.await(SETTLE.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  /** Returns once every task queued on the pool's timer before this call has run. */
  private static void awaitTimer(BackendPool pool) throws Exception {
    CompletableFuture<Void> marker = new CompletableFuture<>();
    ((LocalBackendPool) pool).schedule(() -> marker.complete(null), 0);
    marker.get(SETTLE.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * 1.1: reload to b only queues a's removal (idle) on the timer; reload to a and b takes a back; a
   * lease on a, then drain(a). The queued removal must not finish the new drain while the lease is
   * out (it did, 560 times in 1,000: a was removed with the lease out, and a re-add gave it maxJobs
   * + 1 jobs).
   */
  @Test
  void aRemovalQueuedForAnEarlierDrainDoesNotFinishALaterOneWithALeaseOut() throws Exception {
    try (BackendPool pool = poolOf("a", "b").build()) {
      CountDownLatch release = new CountDownLatch(1);
      holdTimer(pool, release);
      pool.reload(poolOf("b"));
      pool.reload(poolOf("a", "b"));
      Lease onA = pool.tryAcquire(ARCH, Selector.parse("name=a")).orElseThrow();
      CompletableFuture<List<Backend>> drained = pool.drain("tcp://a:1");

      release.countDown();
      awaitTimer(pool);

      assertThat(drained).isNotDone();
      assertThat(PoolStatus.of(pool, "tcp://a:1").activeJobs()).isEqualTo(1);
      assertThat(PoolStatus.of(pool, "tcp://a:1").adminState()).isEqualTo(AdminState.DRAINING);
      onA.close();
      assertThat(drained).succeedsWithin(SETTLE);
      assertThat(pool.backends()).extracting(Backend::addr).containsExactly("tcp://b:1");
    }
  }

  /** 1.5: a cordoned backend that a reload drops and a later reload lists again stays cordoned. */
  @Test
  void aCordonedBackendDroppedAndListedAgainByReloadsStaysCordoned() throws Exception {
    try (BackendPool pool = poolOf("a", "b").build()) {
      // Still draining (a lease out) when listed again, and already gone: both keep the cordon.
      Lease onA = pool.tryAcquire(ARCH, Selector.parse("name=a")).orElseThrow();
      pool.cordon("tcp://a:1");
      pool.reload(poolOf("b"));
      assertThat(PoolStatus.of(pool, "tcp://a:1").adminState()).isEqualTo(AdminState.DRAINING);
      pool.reload(poolOf("a", "b"));
      assertThat(PoolStatus.of(pool, "tcp://a:1").adminState()).isEqualTo(AdminState.CORDONED);
      onA.close();

      pool.reload(poolOf("b"));
      awaitTimer(pool); // a, idle, has drained and left the pool
      assertThat(pool.backends()).extracting(Backend::addr).containsExactly("tcp://b:1");
      pool.reload(poolOf("a", "b"));
      assertThat(PoolStatus.of(pool, "tcp://a:1").adminState()).isEqualTo(AdminState.CORDONED);
      assertThat(pool.tryAcquire(ARCH, Selector.parse("name=a"))).isEmpty();

      // An operator's uncordon ends it; dropped and listed again, it comes back ready.
      pool.uncordon("tcp://a:1");
      pool.reload(poolOf("b"));
      awaitTimer(pool);
      pool.reload(poolOf("a", "b"));
      assertThat(PoolStatus.of(pool, "tcp://a:1").adminState()).isEqualTo(AdminState.READY);
    }
  }

  /**
   * A lock that, armed for one holder, runs an action on another thread just before that holder
   * lets go, and waits for it: the action finds the lock held.
   */
  static final class InterleavingLock extends ReentrantLock {
    private static final long serialVersionUID = 1L;
    private transient volatile @Nullable Thread armedFor;
    private transient volatile @Nullable Runnable action;

    void armOnce(Thread holder, Runnable actionWhileHeld) {
      action = actionWhileHeld;
      armedFor = holder;
    }

    @Override
    public void unlock() {
      Runnable toRun = action;
      if (Thread.currentThread() == armedFor && getHoldCount() == 1 && toRun != null) {
        armedFor = null;
        Thread other = new Thread(toRun, "while-the-lock-is-held");
        other.start();
        try {
          other.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      super.unlock();
    }
  }

  /**
   * 1.2: a waiter leaves the queue (here a cancelled acquireAsync; timeouts, interrupts and
   * tryAcquire take the same path) while a release hands its slot over: the release finds the
   * queue's lock held and leaves its request to the holder, which must serve it. It did not, and
   * the first waiter timed out with NO_CAPACITY beside a free slot.
   */
  @Test
  void aWaiterLeavingTheQueueServesTheReleaseThatFoundTheLockHeld() throws Exception {
    InterleavingLock lock = new InterleavingLock();
    PoolBuilder builder = (PoolBuilder) BackendPool.builder().backend(backend("a").withMaxJobs(1));
    try (BackendPool pool = new LocalBackendPool(builder.config(), lock)) {
      Lease held = pool.tryAcquire(ARCH, Selector.any()).orElseThrow();
      CompletableFuture<Lease> first =
          pool.acquireAsync(ARCH, Selector.any(), Duration.ofMinutes(1));
      CompletableFuture<Lease> second =
          pool.acquireAsync(ARCH, Selector.any(), Duration.ofMinutes(1));
      assertThat(first).isNotDone();

      lock.armOnce(Thread.currentThread(), held::close);
      second.cancel(false); // leaves the queue on this thread, under the lock

      assertThat(first).isCompleted();
      assertThat(first.join().backend().addr()).isEqualTo("tcp://a:1");
      first.join().close();
      assertThat(PoolStatus.of(pool, "tcp://a:1").activeJobs()).isZero();
    }
  }
}
