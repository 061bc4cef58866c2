/**
 * melange-server's HTTP API over a {@link dev.melange.pool.BackendPool}: {@link
 * dev.melange.pool.buildkit.server.MelangeServerApi} serves the routes melange's CLI and scripts
 * use ({@code /api/v1/backends}, {@code /api/v1/backends/status}) on the JDK's HTTP server, plus
 * cordon, uncordon and drain. Everything else in the package is its implementation.
 */
@NullMarked
package dev.melange.pool.buildkit.server;

import org.jspecify.annotations.NullMarked;
