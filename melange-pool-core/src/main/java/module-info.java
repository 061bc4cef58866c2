/**
 * The implementation of melange-pool: the lock-free pool, its circuit breakers and the YAML
 * configuration loader. {@link dev.melange.pool.BackendPool} finds it through {@link
 * java.util.ServiceLoader}. It exports one package, {@code dev.melange.pool.failsafe}, whose one
 * class turns Failsafe's circuit breakers into the pool's; as its signature names Failsafe's types,
 * Failsafe is required transitively.
 */
module dev.melange.pool.core {
  requires transitive dev.melange.pool;
  requires com.github.benmanes.caffeine;
  requires org.snakeyaml.engine.v2;
  requires org.slf4j;
  requires transitive dev.failsafe.core;
  requires java.net.http;
  requires static org.jspecify;

  exports dev.melange.pool.failsafe;

  uses dev.melange.pool.spi.HealthProbe.Factory;

  provides dev.melange.pool.spi.PoolProvider with
      dev.melange.pool.core.CorePoolProvider;
}
