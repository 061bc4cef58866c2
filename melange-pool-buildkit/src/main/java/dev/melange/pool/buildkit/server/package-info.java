/**
 * melange-server's HTTP API over a {@link dev.melange.pool.BackendPool}: {@link
 * dev.melange.pool.buildkit.server.MelangeServerApi} serves the routes melange's CLI and scripts
 * use ({@code /api/v1/backends}, {@code /api/v1/backends/status}) on an embedded Jetty server, plus
 * cordon, uncordon and drain. {@link dev.melange.pool.buildkit.server.TokenFile} reads a token file
 * as the server does and {@link dev.melange.pool.buildkit.server.UntrustedText} makes outside text
 * safe to log or print, for clients such as the {@code melange-pool} command line; everything else
 * in the package is the server's implementation.
 */
@NullMarked
package dev.melange.pool.buildkit.server;

import org.jspecify.annotations.NullMarked;
