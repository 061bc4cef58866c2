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
  // Bytes, not longs: the JVM would put the counter into the 4-byte gap after the object header,
  // before long padding (JOL's ClassLayout shows it), next to the previous object in memory.
  byte b00,
      b01,
      b02,
      b03,
      b04,
      b05,
      b06,
      b07,
      b08,
      b09,
      b10,
      b11,
      b12,
      b13,
      b14,
      b15,
      b16,
      b17,
      b18,
      b19,
      b20,
      b21,
      b22,
      b23,
      b24,
      b25,
      b26,
      b27,
      b28,
      b29,
      b30,
      b31,
      b32,
      b33,
      b34,
      b35,
      b36,
      b37,
      b38,
      b39,
      b40,
      b41,
      b42,
      b43,
      b44,
      b45,
      b46,
      b47,
      b48,
      b49,
      b50,
      b51,
      b52,
      b53,
      b54,
      b55,
      b56,
      b57,
      b58,
      b59,
      b60,
      b61,
      b62,
      b63;
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
