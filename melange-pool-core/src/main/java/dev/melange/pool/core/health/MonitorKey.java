package dev.melange.pool.core.health;

import dev.melange.pool.HealthCheck;
import dev.melange.pool.Tls;
import dev.melange.pool.spi.HealthProbe;
import org.jspecify.annotations.Nullable;

/**
 * What identifies one physical check: the backend's address and TLS settings, the check's settings,
 * and the factory that makes its probe.
 */
public record MonitorKey(
    String addr, @Nullable Tls tls, HealthCheck check, HealthProbe.Factory factory) {}
