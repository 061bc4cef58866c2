package dev.melange.pool.examples;

import dev.melange.pool.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The builds the demo pushes through the pool: waves of package builds, as when commits land in a
 * package repository, each wave building every package for both archs. Durations are those of a
 * real distribution's packages, scaled down from minutes to a second or less, and vary from build
 * to build.
 */
final class BuildPlan {
  static final List<String> ARCHS = List.of("x86_64", "aarch64");

  /** How a package builds: how long on a nominal machine; the big ones need high memory. */
  record Recipe(String name, double seconds, boolean highMemory) {}

  /** One build: a package for an arch. */
  record Job(Recipe recipe, String arch, Duration nominal) {
    /** Where it may run: the big packages need a {@code tier=high-memory} backend. */
    Selector selector() {
      return recipe.highMemory() ? HIGH_MEMORY : Selector.any();
    }

    /** The cache it shares with earlier builds of the same package for the same arch. */
    String affinityKey() {
      return recipe.name() + "/" + arch;
    }
  }

  private static final Selector HIGH_MEMORY = Selector.parse("tier=high-memory");

  static final List<Recipe> RECIPES =
      List.of(
          new Recipe("busybox", 0.3, false),
          new Recipe("zlib", 0.2, false),
          new Recipe("openssl", 0.85, false),
          new Recipe("curl", 0.55, false),
          new Recipe("git", 0.7, false),
          new Recipe("python-3.13", 1.3, false),
          new Recipe("go-1.23", 1.2, false),
          new Recipe("rust-1.83", 1.9, true),
          new Recipe("nodejs-22", 1.7, true),
          new Recipe("llvm-19", 2.15, true),
          new Recipe("gcc-14", 1.8, true),
          new Recipe("glibc", 1.2, false),
          new Recipe("bash", 0.35, false),
          new Recipe("coreutils", 0.5, false),
          new Recipe("ncurses", 0.3, false),
          new Recipe("sqlite", 0.4, false),
          new Recipe("libffi", 0.2, false),
          new Recipe("expat", 0.2, false),
          new Recipe("pcre2", 0.25, false),
          new Recipe("xz", 0.25, false),
          new Recipe("zstd", 0.3, false),
          new Recipe("libxml2", 0.4, false),
          new Recipe("openssh", 0.55, false),
          new Recipe("nginx", 0.5, false),
          new Recipe("postgresql-17", 1.1, false),
          new Recipe("redis", 0.4, false),
          new Recipe("jq", 0.2, false),
          new Recipe("helm", 0.6, false),
          new Recipe("kubectl", 0.65, false),
          new Recipe("ca-certificates", 0.1, false),
          new Recipe("perl", 0.8, false),
          new Recipe("ruby-3.3", 0.9, false),
          new Recipe("openjdk-21", 1.8, true),
          new Recipe("maven", 0.35, false),
          new Recipe("cmake", 0.7, false),
          new Recipe("protobuf", 0.85, false),
          new Recipe("envoy", 2.05, true),
          new Recipe("chromium", 2.4, true),
          new Recipe("ffmpeg", 1.15, false),
          new Recipe("tzdata", 0.1, false),
          new Recipe("libpng", 0.2, false),
          new Recipe("harfbuzz", 0.55, false),
          new Recipe("grpc", 1, false),
          new Recipe("etcd", 0.6, false),
          new Recipe("prometheus", 0.8, false),
          new Recipe("vim", 0.35, false),
          new Recipe("wget", 0.25, false),
          new Recipe("tar", 0.2, false),
          new Recipe("gnupg", 0.5, false),
          new Recipe("systemd", 1.25, false));

  private final List<List<Job>> waves;

  /**
   * @param builds how many builds in all, split into {@code waves} waves
   * @param waves how many waves
   * @param timeScale what the durations are multiplied by (1 for the demo, less for a quick run)
   * @param seed the random seed: the same seed, the same plan
   */
  BuildPlan(int builds, int waves, double timeScale, long seed) {
    Random random = new Random(seed);
    List<List<Job>> planned = new ArrayList<>();
    for (int wave = 0; wave < waves; wave++) {
      int size = builds / waves + (wave < builds % waves ? 1 : 0);
      List<Recipe> order = new ArrayList<>(RECIPES);
      Collections.shuffle(order, random);
      List<Job> jobs = new ArrayList<>(size);
      for (int i = 0; jobs.size() < size; i++) {
        Recipe recipe = order.get(i / ARCHS.size() % order.size());
        String arch = ARCHS.get(i % ARCHS.size());
        // Log-normal noise: most builds near the package's usual time, a few much longer.
        double seconds = recipe.seconds() * Math.exp(0.35 * random.nextGaussian()) * timeScale;
        jobs.add(new Job(recipe, arch, Duration.ofNanos((long) (seconds * 1e9))));
      }
      planned.add(List.copyOf(jobs));
    }
    this.waves = List.copyOf(planned);
  }

  List<List<Job>> waves() {
    return waves;
  }

  int size() {
    return waves.stream().mapToInt(List::size).sum();
  }
}
