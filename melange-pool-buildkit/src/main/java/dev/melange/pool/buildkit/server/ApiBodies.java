package dev.melange.pool.buildkit.server;

import dev.melange.pool.Backend;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The JSON bodies of the API, as records Jackson reads and writes. */
final class ApiBodies {
  private ApiBodies() {}

  /**
   * A backend as melange-server's config entries and API show it.
   *
   * @param maxJobs as configured: 0 means the pool's {@code defaultMaxJobs}
   */
  record BackendJson(String addr, String arch, Map<String, String> labels, int maxJobs) {
    static BackendJson of(Backend backend) {
      return new BackendJson(backend.addr(), backend.arch(), backend.labels(), backend.maxJobs());
    }

    static List<BackendJson> of(List<Backend> backends) {
      return backends.stream().map(BackendJson::of).toList();
    }
  }

  /** {@code GET /api/v1/backends}: the backends (of one arch, if asked) and every arch. */
  record BackendList(List<BackendJson> backends, List<String> architectures) {}

  /** The answer of the status and operator routes. */
  record Backends(List<?> backends) {}

  /** {@code POST /api/v1/backends}: every field is optional to Jackson and checked by the route. */
  record AddBody(
      @Nullable String addr,
      @Nullable String arch,
      @Nullable Map<String, @Nullable String> labels,
      @Nullable Integer maxJobs) {}

  /** {@code DELETE /api/v1/backends}. */
  record AddrBody(@Nullable String addr) {}

  /** {@code POST /api/v1/backends/cordon}, {@code /uncordon} and {@code /drain}. */
  record PatternBody(@Nullable String pattern) {}
}
