package dev.melange.pool.buildkit;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.Tls;
import dev.melange.pool.spi.HealthProbe;

/**
 * Makes {@code buildkit} probes; {@link java.util.ServiceLoader} finds it, so YAML can name the
 * type. A backend whose address is no buildkitd address (a client-helper scheme, a missing port),
 * or whose {@link Backend#tls() TLS settings} cannot be used, is refused when the pool is built,
 * with the problem.
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
   * A probe of the daemon at {@code backend.addr()}, over TLS when the backend has {@link
   * Backend#tls() TLS settings}; a check's {@code port}, when not 0, replaces a tcp address's port.
   *
   * @throws IllegalArgumentException when the address is not a buildkitd address, or when the TLS
   *     settings cannot be used (a file missing or unreadable, a key that is not unencrypted
   *     PKCS#8, PEM that grpc cannot parse, a unix socket, which buildkitd serves in plaintext),
   *     naming the backend and the file
   */
  @Override
  public HealthProbe create(Backend backend, HealthCheck check) {
    BuildKitAddress address = BuildKitAddress.parse(backend.addr());
    if (check.port() != 0 && !address.isUnix()) {
      address = new BuildKitAddress(address.host(), check.port(), null);
    }
    Tls tls = backend.tls();
    return new BuildKitProbe(
        address, tls == null ? null : BuildKitTls.read(backend.addr(), address, tls));
  }
}
