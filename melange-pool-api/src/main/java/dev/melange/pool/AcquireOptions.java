package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How one acquire should behave, beyond the arch and selector: how long it may wait, which backend
 * it would like, and how urgently it wants a slot when others wait too. Immutable; start from
 * {@link #defaults()}.
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
 * @param priority the acquire's place among waiters: a freed slot goes to the waiter of the highest
 *     effective priority that can use it, the longest waiting among equals (see {@link Priority});
 *     {@link Priority#NORMAL} by default
 */
public record AcquireOptions(
    @Nullable Duration timeout, @Nullable String affinityKey, Priority priority) {

  private static final AcquireOptions DEFAULTS = new AcquireOptions(null, null, Priority.NORMAL);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException {@code timeout must be >= 0, was <d>} when negative, or {@code
   *     affinityKey must not be blank} when empty or whitespace
   * @throws NullPointerException {@code priority must not be null (the default is NORMAL)}
   */
  public AcquireOptions {
    if (timeout != null && timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
    }
    if (affinityKey != null && affinityKey.isBlank()) {
      throw new IllegalArgumentException(
          "affinityKey must not be blank, was " + DisplayText.quoted(affinityKey));
    }
    Objects.requireNonNull(priority, "priority must not be null (the default is NORMAL)");
  }

  /**
   * Options of {@link Priority#NORMAL} priority, as before priorities existed.
   *
   * @throws IllegalArgumentException as the canonical constructor
   */
  public AcquireOptions(@Nullable Duration timeout, @Nullable String affinityKey) {
    this(timeout, affinityKey, Priority.NORMAL);
  }

  /** The pool's {@code acquireTimeout}, no affinity key, {@link Priority#NORMAL} priority. */
  public static AcquireOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A copy with another timeout.
   *
   * @throws IllegalArgumentException if negative
   */
  public AcquireOptions withTimeout(Duration timeout) {
    return new AcquireOptions(Objects.requireNonNull(timeout, "timeout"), affinityKey, priority);
  }

  /**
   * A copy with an affinity key.
   *
   * @throws IllegalArgumentException if blank
   */
  public AcquireOptions withAffinityKey(String key) {
    return new AcquireOptions(timeout, Objects.requireNonNull(key, "key"), priority);
  }

  /**
   * A copy with another priority.
   *
   * @throws NullPointerException {@code priority must not be null (the default is NORMAL)}
   */
  public AcquireOptions withPriority(Priority priority) {
    return new AcquireOptions(timeout, affinityKey, priority);
  }
}
