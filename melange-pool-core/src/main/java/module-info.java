/**
 * The implementation of melange-pool: the lock-free pool, its circuit breakers and the YAML
 * configuration loader. {@link dev.melange.pool.BackendPool} finds it through {@link
 * java.util.ServiceLoader}. It exports one package, {@code dev.melange.pool.failsafe}, whose one
 * class turns Failsafe's circuit breakers into the pool's. Failsafe is an optional dependency
 * ({@code requires static}): an embedder that configures the {@code failsafe} circuit breaker or
 * uses that package adds {@code dev.failsafe:failsafe} itself, and one that does not never loads
 * it; asking for it without it is an error that names the artifact.
 */
module dev.melange.pool.core {
  requires transitive dev.melange.pool;
  requires com.github.benmanes.caffeine;
  requires org.snakeyaml.engine.v2;
  requires org.slf4j;
  requires static dev.failsafe.core;
  requires java.net.http;
  requires static org.jspecify;

  exports dev.melange.pool.failsafe;

  uses dev.melange.pool.spi.HealthProbe.Factory;

  provides dev.melange.pool.spi.PoolProvider with
      dev.melange.pool.core.CorePoolProvider;
}
