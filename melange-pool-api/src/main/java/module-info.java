/**
 * The public API of melange-pool: {@link dev.melange.pool.BackendPool} and the types it hands out,
 * plus the service-provider interfaces in {@code dev.melange.pool.spi}.
 *
 * <p>This module has no dependencies but JSpecify. {@link dev.melange.pool.BackendPool} finds its
 * implementation (the {@code melange-pool-core} artifact) through {@link java.util.ServiceLoader}.
 */
@SuppressWarnings("module") // exported to modules built after this one
module dev.melange.pool {
  requires static transitive org.jspecify;

  exports dev.melange.pool;
  exports dev.melange.pool.spi;
  // How user-supplied text is shown in messages, logs and terminals: one way, shared with the
  // implementation and the BuildKit module (its server and command line). Not API.
  exports dev.melange.pool.internal to
      dev.melange.pool.core,
      dev.melange.pool.buildkit;

  uses dev.melange.pool.spi.PoolProvider;
}
