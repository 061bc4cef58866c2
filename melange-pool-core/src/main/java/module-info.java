/**
 * The implementation of melange-pool: the lock-free pool, its circuit breakers and the YAML
 * configuration loader. It exports nothing; {@link dev.melange.pool.BackendPool} finds it through
 * {@link java.util.ServiceLoader}.
 */
module dev.melange.pool.core {
  requires dev.melange.pool;
  requires com.github.benmanes.caffeine;
  requires org.snakeyaml.engine.v2;
  requires org.slf4j;
  requires java.net.http;
  requires static org.jspecify;

  uses dev.melange.pool.spi.HealthProbe.Factory;

  provides dev.melange.pool.spi.PoolProvider with
      dev.melange.pool.core.CorePoolProvider;
}
