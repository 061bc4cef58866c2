package dev.melange.pool.core.config;

import dev.melange.pool.Backend;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The architectures melange builds for, and the warning for a backend configured with another: a
 * job asks for {@code x86_64}, so a backend given {@code arch: amd64} (Docker's and Go's name for
 * it) would never get one, silently. Such an arch is taken (a custom worker may name its own) but
 * warned about, with the name meant when there is one: in the log, once, when the backend joins a
 * pool, and in its {@link dev.melange.pool.BackendStatus#problem()} for as long as it is there.
 */
public final class KnownArchs {
  private static final Logger log = LoggerFactory.getLogger(KnownArchs.class);

  /** melange's names (and Alpine's and Wolfi's), as {@code BuildKitPlatforms} maps to them. */
  static final List<String> NAMES =
      List.of(
          "x86_64",
          "aarch64",
          "armv7",
          "armhf",
          "x86",
          "ppc64le",
          "s390x",
          "riscv64",
          "loongarch64");

  /** Other tools' names for melange's archs: Go and Docker, Debian, uname, RPM. */
  private static final Map<String, String> ALIASES =
      Map.ofEntries(
          Map.entry("amd64", "x86_64"),
          Map.entry("x64", "x86_64"),
          Map.entry("x86-64", "x86_64"),
          Map.entry("arm64", "aarch64"),
          Map.entry("armv8", "aarch64"),
          Map.entry("arm64v8", "aarch64"),
          Map.entry("386", "x86"),
          Map.entry("i386", "x86"),
          Map.entry("i486", "x86"),
          Map.entry("i586", "x86"),
          Map.entry("i686", "x86"),
          Map.entry("arm", "armv7"),
          Map.entry("armv7l", "armv7"),
          Map.entry("armv7a", "armv7"),
          Map.entry("arm32v7", "armv7"),
          Map.entry("armv6", "armhf"),
          Map.entry("armv6l", "armhf"),
          Map.entry("arm32v6", "armhf"),
          Map.entry("ppc64el", "ppc64le"),
          Map.entry("powerpc64le", "ppc64le"),
          Map.entry("s390", "s390x"),
          Map.entry("riscv", "riscv64"),
          Map.entry("riscv64gc", "riscv64"),
          Map.entry("loong64", "loongarch64"),
          Map.entry("loongarch", "loongarch64"));

  private KnownArchs() {}

  /**
   * The warning about a configured arch melange does not know, or null for a known one (and for an
   * arch left to discovery, which the daemon names).
   */
  static @Nullable String warning(String arch) {
    if (arch.isEmpty() || NAMES.contains(arch)) {
      return null;
    }
    String shown = '"' + YamlValueReader.shown(arch) + '"';
    String meant = ALIASES.get(arch.toLowerCase(Locale.ROOT));
    if (meant != null) {
      return "arch " + shown + " is not one melange knows: did you mean " + meant + "?";
    }
    String suggestion = KeySuggestion.of(arch, NAMES);
    if (suggestion.startsWith("did you mean")) {
      return "arch " + shown + " is not one melange knows: " + suggestion;
    }
    return "arch "
        + shown
        + " is not one melange knows ("
        + String.join(", ", NAMES)
        + "): only jobs that ask for "
        + shown
        + " get it";
  }

  /** Logs the warning about a backend's arch, if there is one: when it joins a pool. */
  public static void warnIfUnknown(Backend backend) {
    String warning = warning(backend.arch());
    if (warning != null) {
      // The addr is a Backend's, which refuses control characters; the arch is shown escaped.
      log.warn("backend {}: {}", backend.addr(), warning);
    }
  }

  /**
   * A backend's problem for its status: the one that holds it out ({@code held}, or null), and the
   * warning about its configured arch, if any, after it.
   */
  public static @Nullable String problem(@Nullable String held, Backend backend) {
    String warning = warning(backend.arch());
    if (warning == null) {
      return held;
    }
    return held == null ? warning : held + "; " + warning;
  }
}
