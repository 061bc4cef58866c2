package dev.melange.pool;

import dev.melange.pool.spi.PoolProvider;
import java.util.Iterator;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;

/** Finds the {@link PoolProvider} on first use, and remembers it once found. */
final class Providers {
  private static volatile @Nullable PoolProvider provider;

  private Providers() {}

  static PoolProvider provider() {
    PoolProvider found = provider;
    if (found == null) {
      // A race loads twice and keeps either: providers are stateless factories.
      found = load();
      provider = found;
    }
    return found;
  }

  private static PoolProvider load() {
    Iterator<PoolProvider> providers =
        ServiceLoader.load(PoolProvider.class, BackendPool.class.getClassLoader()).iterator();
    if (!providers.hasNext()) {
      // Containers that isolate libraries from applications see the provider only this way.
      providers = ServiceLoader.load(PoolProvider.class).iterator();
    }
    if (!providers.hasNext()) {
      throw new PoolException(
          "no melange-pool implementation found: add the dependency"
              + " dev.melange:melange-pool-core to the class path or module path");
    }
    return providers.next();
  }
}
