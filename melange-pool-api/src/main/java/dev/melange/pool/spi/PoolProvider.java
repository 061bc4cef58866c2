package dev.melange.pool.spi;

import dev.melange.pool.BackendPool;
import java.nio.file.Path;

/**
 * The implementation behind {@link BackendPool}'s static factories, found with {@link
 * java.util.ServiceLoader}. {@code melange-pool-core} provides one; an application needs no other.
 * Implementations must have a public no-argument constructor and be thread-safe.
 */
public interface PoolProvider {

  /** A fresh builder for {@link BackendPool#builder()}. */
  BackendPool.Builder newBuilder();

  /**
   * A pool configured by a YAML file, for {@link BackendPool#fromYaml(Path)}.
   *
   * @throws dev.melange.pool.PoolConfigException on any problem with the file
   */
  BackendPool fromYaml(Path path);
}
