package dev.melange.pool.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An {@code AtomicInteger} alone on its cache line: the same atomic instructions (a VarHandle on a
 * volatile int compiles to the same {@code lock xadd} / {@code lock cmpxchg} as {@code
 * AtomicInteger}), with 64 bytes of padding on both sides.
 *
 * <p>Why pad: the floors must measure the atomic operations and nothing else. Unpadded counters
 * allocated one after another sit 16 bytes apart, so with two threads on neighbouring counters each
 * write would invalidate the other core's line (false sharing) and the floor would measure cache
 * traffic that melange-pool's own slots, padded the same way, do not pay. Padding is done by class
 * layout, as Caffeine does, because {@code @Contended} needs a JVM flag: superclass fields are laid
 * out first, so the value sits between the two padding blocks.
 *
 * <p>Thread-safe.
 */
final class PaddedCounter extends PaddedCounterAfter {
  int get() {
    return value;
  }

  boolean compareAndSet(int expected, int next) {
    return VALUE.compareAndSet(this, expected, next);
  }

  int incrementAndGet() {
    return (int) VALUE.getAndAdd(this, 1) + 1;
  }

  int decrementAndGet() {
    return (int) VALUE.getAndAdd(this, -1) - 1;
  }

  @Override
  public String toString() {
    return Integer.toString(value);
  }
}

/** Padding before the value. */
@SuppressWarnings("unused")
abstract class PaddedCounterBefore {
  long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The value, on a cache line of its own. */
abstract class PaddedCounterValue extends PaddedCounterBefore {
  static final VarHandle VALUE;

  static {
    try {
      VALUE = MethodHandles.lookup().findVarHandle(PaddedCounterValue.class, "value", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  volatile int value;
}

/** Padding after the value. */
@SuppressWarnings("unused")
abstract class PaddedCounterAfter extends PaddedCounterValue {
  long p10, p11, p12, p13, p14, p15, p16, p17;
}
