package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a health probe learned about the daemon behind a backend besides whether it is up: its
 * version and the platforms it builds for. The {@code buildkit} probe reports one from BuildKit's
 * {@code Info} and {@code ListWorkers}; a pool uses {@code archs} to place a backend whose arch was
 * left out and to check one whose arch was given.
 *
 * <p>What a daemon reports is text from the network: an arch that a {@link Backend} could not hold
 * (blank, longer than {@link Backend#MAX_ARCH_LENGTH}, with white space around it or a control
 * character) is dropped, and when that is the native one, no arch is kept at all, so that an
 * emulated arch never passes for the native one; the version and platforms are kept with control
 * characters escaped and cut when long, as they are shown in statuses and logs.
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

  /** The longest version or platform kept; longer ones are cut. */
  private static final int MAX_NAME = 128;

  /**
   * Copies the lists, dropping archs a backend could not hold and escaping the version and
   * platforms (see above).
   *
   * @throws IllegalArgumentException {@code workers must be >= 0, was <n>}
   */
  public DaemonInfo {
    version = version == null ? null : shown(version);
    platforms = platforms.stream().map(DaemonInfo::shown).toList();
    archs = holdable(archs);
    Checks.require(workers >= 0, "workers must be >= 0, was " + workers);
  }

  private static List<String> holdable(List<String> archs) {
    List<String> kept = new ArrayList<>(archs.size());
    for (int i = 0; i < archs.size(); i++) {
      String arch = archs.get(i);
      boolean holdable =
          !arch.isBlank()
              && arch.length() <= Backend.MAX_ARCH_LENGTH
              && DisplayText.firstControl(arch) < 0
              && !DisplayText.hasSurroundingSpace(arch);
      if (!holdable && i == 0) {
        return List.of(); // no native arch to trust: none at all, not an emulated one instead
      }
      if (holdable) {
        kept.add(arch);
      }
    }
    return List.copyOf(kept);
  }

  private static String shown(String text) {
    return DisplayText.shown(text, MAX_NAME);
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
