package dev.melange.pool.buildkit;

import dev.melange.pool.buildkit.proto.Platform;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * BuildKit's OCI platforms as the architectures melange and Alpine/Wolfi name: {@code linux/amd64}
 * is {@code x86_64}, {@code linux/arm64} is {@code aarch64}, {@code linux/arm/v7} is {@code armv7},
 * {@code linux/arm/v6} is {@code armhf}, {@code linux/386} is {@code x86}, {@code linux/loong64} is
 * {@code loongarch64}; {@code ppc64le}, {@code s390x}, {@code riscv64} and any other Linux
 * architecture keep their name. Platforms of other operating systems have no melange arch.
 */
final class BuildKitPlatforms {
  private BuildKitPlatforms() {}

  /** {@code linux/arm64/v8}: OS, architecture, and the variant when there is one. */
  static String name(Platform platform) {
    String text = platform.getOS() + "/" + platform.getArchitecture();
    return platform.getVariant().isEmpty() ? text : text + "/" + platform.getVariant();
  }

  /** The melange arch of a platform, or null for one that is not Linux (or names nothing). */
  static @Nullable String arch(Platform platform) {
    String architecture = platform.getArchitecture();
    if (!platform.getOS().equals("linux") || architecture.isEmpty()) {
      return null;
    }
    return switch (architecture) {
      case "amd64" -> "x86_64";
      case "arm64" -> "aarch64";
      case "386" -> "x86";
      case "loong64" -> "loongarch64";
      case "arm" -> armArch(platform.getVariant());
      default -> architecture;
    };
  }

  /** 32-bit ARM by variant: v6 is Alpine's armhf, v7 (and no variant, Docker's default) armv7. */
  private static String armArch(String variant) {
    return switch (variant) {
      case "v6" -> "armhf";
      case "", "v7" -> "armv7";
      default -> "arm" + variant;
    };
  }

  /** The archs of the platforms, in their order, each once: the native one first. */
  static List<String> archs(List<Platform> platforms) {
    Set<String> archs = new LinkedHashSet<>();
    for (Platform platform : platforms) {
      String arch = arch(platform);
      if (arch != null) {
        archs.add(arch);
      }
    }
    return List.copyOf(archs);
  }
}
