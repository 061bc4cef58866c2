package dev.melange.pool.core;

import dev.melange.pool.BackendPool;
import dev.melange.pool.core.config.YamlPoolConfigLoader;
import dev.melange.pool.spi.PoolProvider;
import java.nio.file.Path;

/**
 * The provider {@link java.util.ServiceLoader} finds for {@link BackendPool}'s static factories.
 * Public only because class-path service loading requires it; not API.
 */
public final class CorePoolProvider implements PoolProvider {

  /** Called by {@link java.util.ServiceLoader}. */
  public CorePoolProvider() {}

  @Override
  public BackendPool.Builder newBuilder() {
    return new PoolBuilder();
  }

  @Override
  public BackendPool fromYaml(Path path) {
    return PoolBuilder.from(YamlPoolConfigLoader.load(path)).build();
  }
}
