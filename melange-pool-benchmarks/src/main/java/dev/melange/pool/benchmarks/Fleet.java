package dev.melange.pool.benchmarks;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fleet every benchmark pools, so that all of them do the same work: {@code n} backends of one
 * architecture, four jobs each, labelled {@code tier=standard}.
 */
final class Fleet {
  static final String ARCH = "x86_64";
  static final int MAX_JOBS = 4;
  static final Map<String, String> LABELS = Map.of("tier", "standard");

  private Fleet() {}

  /** A pool of {@link #of(int) n such backends}, with the defaults but a 10 s acquire timeout. */
  static BackendPool pool(int n) {
    return build(n, builder());
  }

  /**
   * Like {@link #pool(int)}, with a built-in strategy.
   *
   * @param strategy a name {@link BackendPool.Builder#strategy(String)} knows, e.g. {@code
   *     power-of-two}
   * @throws IllegalArgumentException for an unknown strategy, listing the known ones
   */
  static BackendPool pool(int n, String strategy) {
    return build(n, builder().strategy(strategy));
  }

  private static BackendPool.Builder builder() {
    return BackendPool.builder().acquireTimeout(Duration.ofSeconds(10));
  }

  private static BackendPool build(int n, BackendPool.Builder builder) {
    for (Backend backend : of(n)) {
      builder.backend(backend);
    }
    return builder.build();
  }

  static List<Backend> of(int n) {
    List<Backend> backends = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      backends.add(new Backend("tcp://buildkit-" + i + ":1234", ARCH, MAX_JOBS, LABELS));
    }
    return backends;
  }
}
