package dev.melange.pool;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a health probe learned about the daemon behind a backend besides whether it is up: its
 * version and the platforms it builds for. The {@code buildkit} probe reports one from BuildKit's
 * {@code Info} and {@code ListWorkers}; a pool uses {@code archs} to place a backend whose arch was
 * left out and to check one whose arch was given.
 *
 * @param version the daemon's version as it reports it, for example {@code v0.13.2}; null when it
 *     does not say
 * @param platforms the platforms of its first worker as the daemon names them, for example {@code
 *     linux/arm64}, the native one first and then those it runs under emulation
 * @param archs the same platforms as the architectures pools route by ({@code aarch64}, {@code
 *     x86_64}), in the same order and without repeats: the native one first; empty when the daemon
 *     reported no platform the probe could name
 * @param workers how many workers the daemon has
 */
public record DaemonInfo(
    @Nullable String version, List<String> platforms, List<String> archs, int workers) {

  /**
   * Copies the lists.
   *
   * @throws IllegalArgumentException {@code workers must be >= 0, was <n>}
   */
  public DaemonInfo {
    platforms = List.copyOf(platforms);
    archs = List.copyOf(archs);
    Checks.require(workers >= 0, "workers must be >= 0, was " + workers);
  }

  /** The arch it builds for natively, or null when it reported none. */
  public @Nullable String nativeArch() {
    return archs.isEmpty() ? null : archs.get(0);
  }

  /** The archs it builds for under emulation, in the order it reported them. */
  public List<String> emulatedArchs() {
    return archs.isEmpty() ? List.of() : archs.subList(1, archs.size());
  }

  /** The native platform as the daemon names it, or null when it reported none. */
  public @Nullable String nativePlatform() {
    return platforms.isEmpty() ? null : platforms.get(0);
  }
}
