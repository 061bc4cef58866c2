/**
 * The public API of melange-pool: {@link dev.melange.pool.BackendPool} and the types it hands out,
 * plus the service-provider interfaces in {@code dev.melange.pool.spi}.
 *
 * <p>This module has no dependencies but JSpecify. {@link dev.melange.pool.BackendPool} finds its
 * implementation (the {@code melange-pool-core} artifact) through {@link java.util.ServiceLoader}.
 */
module dev.melange.pool {
  requires static transitive org.jspecify;

  exports dev.melange.pool;
  exports dev.melange.pool.spi;

  uses dev.melange.pool.spi.PoolProvider;
}
