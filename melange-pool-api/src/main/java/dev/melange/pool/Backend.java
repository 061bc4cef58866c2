package dev.melange.pool;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A backend as configured: where it is, which architecture it builds for, how many jobs it may run
 * at once, and the labels selectors match against. Immutable.
 *
 * @param addr the backend's address, for example {@code tcp://buildkit-x86:1234}; its identity in
 *     the pool
 * @param arch the architecture it builds for, for example {@code x86_64} or {@code aarch64};
 *     matched exactly. Empty ({@link #discover}) when the pool is to learn it from the backend's
 *     health probe (one whose {@link dev.melange.pool.spi.HealthProbe.Factory#discoversArch}, such
 *     as {@code buildkit}): the backend takes no lease until the probe has named it
 * @param maxJobs the most jobs it may run at once; 0 means the pool's {@code defaultMaxJobs}
 * @param labels key-value pairs for {@link Selector}s, in the order given
 * @param weight its share relative to the others of its arch, for the weighted strategies and for
 *     affinity; 1 by default, from 1 to {@link #MAX_WEIGHT}
 * @param backup whether this is a backup backend: it takes a lease only when no primary backend
 *     that matches can take it right now (all full or refused by their circuit breakers); as soon
 *     as a primary can, primaries win again
 * @param allowEmulated whether it also takes jobs for the archs its daemon runs under emulation (as
 *     its health probe reports them), behind every backend of those archs that builds natively,
 *     backups included
 * @param tls how to reach it over TLS, or null for plain text
 */
public record Backend(
    String addr,
    String arch,
    int maxJobs,
    Map<String, String> labels,
    int weight,
    boolean backup,
    boolean allowEmulated,
    @Nullable Tls tls) {

  /** The largest {@code maxJobs} a backend may have: far beyond any real daemon. */
  public static final int MAX_JOBS_LIMIT = 1_000_000;

  /** The largest {@code weight} a backend may have. */
  public static final int MAX_WEIGHT = 1_000_000;

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException {@code addr is required} when blank, {@code arch is required}
   *     when blank but not empty, {@code maxJobs must be >= 0, was <n>} when negative, {@code
   *     maxJobs must be <= 1000000, was <n>} when above {@link #MAX_JOBS_LIMIT}, {@code weight must
   *     be >= 1, was <n>} or {@code weight must be <= 1000000, was <n>}, or a label with a blank
   *     key
   * @throws NullPointerException when {@code labels}, or a label key or value, is null
   */
  public Backend {
    requireText(addr, "addr is required");
    requireArch(arch);
    if (maxJobs < 0) {
      throw new IllegalArgumentException("maxJobs must be >= 0, was " + maxJobs);
    }
    if (maxJobs > MAX_JOBS_LIMIT) {
      throw new IllegalArgumentException(
          "maxJobs must be <= " + MAX_JOBS_LIMIT + ", was " + maxJobs);
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, was " + weight);
    }
    if (weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight must be <= " + MAX_WEIGHT + ", was " + weight);
    }
    labels = copyLabels(labels);
  }

  /**
   * A primary (not backup) backend of weight 1.
   *
   * @throws IllegalArgumentException as the canonical constructor
   */
  public Backend(String addr, String arch, int maxJobs, Map<String, String> labels) {
    this(addr, arch, maxJobs, labels, 1, false);
  }

  /**
   * A backend reached in plain text that takes jobs for its own arch only.
   *
   * @throws IllegalArgumentException as the canonical constructor
   */
  public Backend(
      String addr,
      String arch,
      int maxJobs,
      Map<String, String> labels,
      int weight,
      boolean backup) {
    this(addr, arch, maxJobs, labels, weight, backup, false, null);
  }

  /**
   * A backend with no labels and the pool's default {@code maxJobs}.
   *
   * @throws IllegalArgumentException {@code addr is required} or {@code arch is required} when null
   *     or blank
   */
  public static Backend of(String addr, String arch) {
    return new Backend(addr, arch, 0, Map.of());
  }

  /**
   * A backend with no labels and the pool's default {@code maxJobs} whose arch the pool learns from
   * its health probe, which must be one that discovers it ({@code buildkit}).
   *
   * @throws IllegalArgumentException {@code addr is required} when null or blank
   */
  public static Backend discover(String addr) {
    return new Backend(addr, "", 0, Map.of());
  }

  /** Whether the pool is to learn its arch from its health probe (its {@code arch} is empty). */
  public boolean discoversArch() {
    return arch.isEmpty();
  }

  /**
   * A copy with another arch; empty to learn it from the health probe.
   *
   * @throws IllegalArgumentException {@code arch is required} when blank but not empty
   */
  public Backend withArch(String arch) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy with another {@code maxJobs}.
   *
   * @param maxJobs the most jobs at once; 0 means the pool's default
   * @throws IllegalArgumentException {@code maxJobs must be >= 0, was <n>} when negative, or above
   *     {@link #MAX_JOBS_LIMIT}
   */
  public Backend withMaxJobs(int maxJobs) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy with other labels (replacing, not merging).
   *
   * @throws IllegalArgumentException for a blank label key
   * @throws NullPointerException when {@code labels}, or a key or value, is null
   */
  public Backend withLabels(Map<String, String> labels) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy with another weight.
   *
   * @throws IllegalArgumentException {@code weight must be >= 1, was <n>}, or above {@link
   *     #MAX_WEIGHT}
   */
  public Backend withWeight(int weight) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /** A copy that is (or is not) a backup backend. */
  public Backend withBackup(boolean backup) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy that does (or does not) take jobs for the archs its daemon emulates, behind the native
   * backends of those archs.
   */
  public Backend withAllowEmulated(boolean allowEmulated) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /** A copy reached over TLS with these settings; null for plain text. */
  public Backend withTls(@Nullable Tls tls) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  // Defends against callers outside @NullMarked code, which the type system cannot stop.
  @SuppressWarnings("NullAway")
  private static void requireArch(String arch) {
    if (arch == null || (arch.isBlank() && !arch.isEmpty())) {
      throw new IllegalArgumentException("arch is required");
    }
  }

  // Defends against callers outside @NullMarked code, which the type system cannot stop.
  @SuppressWarnings("NullAway")
  private static void requireText(String value, String message) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(message);
    }
  }

  private static Map<String, String> copyLabels(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return Map.of();
    }
    if (labels.size() == 1) {
      // One label is the common case; Map.of keeps it in 24 bytes instead of a LinkedHashMap's
      // 150, which matters at thousands of backends, and order is trivially kept.
      Map.Entry<String, String> only = labels.entrySet().iterator().next();
      checkLabel(only.getKey(), only.getValue());
      return Map.of(only.getKey(), only.getValue());
    }
    Map<String, String> copy = new LinkedHashMap<>(labels.size() * 2);
    labels.forEach(
        (key, value) -> {
          checkLabel(key, value);
          copy.put(key, value);
        });
    return Collections.unmodifiableMap(copy);
  }

  // Defends against callers outside @NullMarked code, which the type system cannot stop.
  @SuppressWarnings("NullAway")
  private static void checkLabel(String key, String value) {
    if (key == null || value == null) {
      throw new NullPointerException("label " + key + "=" + value + ": null key or value");
    }
    if (key.isBlank()) {
      throw new IllegalArgumentException("label key must not be blank, was \"" + key + "\"");
    }
  }
}
