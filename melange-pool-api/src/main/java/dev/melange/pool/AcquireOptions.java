package dev.melange.pool;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How one acquire should behave, beyond the arch and selector: how long it may wait, and which
 * backend it would like. Immutable; start from {@link #defaults()}.
 *
 * <pre>{@code
 * Lease lease = pool.acquire("x86_64", Selector.any(),
 *     AcquireOptions.defaults().withAffinityKey(pkg.name()).withTimeout(Duration.ofMinutes(2)));
 * }</pre>
 *
 * @param timeout how long to wait for a slot; {@link Duration#ZERO} means do not wait, null means
 *     the pool's {@code acquireTimeout}
 * @param affinityKey a key (a package name, say) that sends every acquire with the same key to the
 *     same backend while it has room (consistent hashing with bounded load, so a backend's build
 *     cache stays warm); null lets the pool's strategy choose
 */
public record AcquireOptions(@Nullable Duration timeout, @Nullable String affinityKey) {

  private static final AcquireOptions DEFAULTS = new AcquireOptions(null, null);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException {@code timeout must be >= 0, was <d>} when negative, or {@code
   *     affinityKey must not be blank} when empty or whitespace
   */
  public AcquireOptions {
    if (timeout != null && timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
    }
    if (affinityKey != null && affinityKey.isBlank()) {
      throw new IllegalArgumentException(
          "affinityKey must not be blank, was \"" + affinityKey + "\"");
    }
  }

  /** The pool's {@code acquireTimeout}, no affinity key. */
  public static AcquireOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A copy with another timeout.
   *
   * @throws IllegalArgumentException if negative
   */
  public AcquireOptions withTimeout(Duration timeout) {
    return new AcquireOptions(Objects.requireNonNull(timeout, "timeout"), affinityKey);
  }

  /**
   * A copy with an affinity key.
   *
   * @throws IllegalArgumentException if blank
   */
  public AcquireOptions withAffinityKey(String key) {
    return new AcquireOptions(timeout, Objects.requireNonNull(key, "key"));
  }
}
