package dev.melange.pool.buildkit;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;

/**
 * Makes {@code buildkit} probes; {@link java.util.ServiceLoader} finds it, so YAML can name the
 * type. A backend whose address is no buildkitd address (a client-helper scheme, a missing port) is
 * refused when the pool is built, with the address's problem.
 */
public final class BuildKitProbeFactory implements HealthProbe.Factory {
  /** The health check type this factory makes probes for. */
  public static final String TYPE = "buildkit";

  /** For {@link java.util.ServiceLoader}. */
  public BuildKitProbeFactory() {}

  @Override
  public String type() {
    return TYPE;
  }

  /** Yes: a pass reports the daemon's platforms, so a backend may leave its arch out. */
  @Override
  public boolean discoversArch() {
    return true;
  }

  /**
   * A probe of the daemon at {@code backend.addr()}; a check's {@code port}, when not 0, replaces a
   * tcp address's port.
   *
   * @throws IllegalArgumentException when the address is not a buildkitd address
   */
  @Override
  public HealthProbe create(Backend backend, HealthCheck check) {
    BuildKitAddress address = BuildKitAddress.parse(backend.addr());
    if (check.port() != 0 && !address.isUnix()) {
      address = new BuildKitAddress(address.host(), check.port(), null);
    }
    return new BuildKitProbe(address);
  }
}
