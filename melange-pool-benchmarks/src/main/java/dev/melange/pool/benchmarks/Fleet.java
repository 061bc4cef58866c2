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
    BackendPool.Builder builder = BackendPool.builder().acquireTimeout(Duration.ofSeconds(10));
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
