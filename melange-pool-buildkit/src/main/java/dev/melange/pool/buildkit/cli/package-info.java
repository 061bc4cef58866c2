/**
 * The {@code melange-pool} command line, the main class of {@code melange-pool.jar}: {@code server}
 * serves a pool over melange-server's HTTP API, {@code backends list|add|remove|status} talk to
 * such a server as {@code melange remote backends} does. Built on picocli.
 */
@NullMarked
package dev.melange.pool.buildkit.cli;

import org.jspecify.annotations.NullMarked;
