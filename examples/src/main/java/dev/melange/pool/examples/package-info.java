/**
 * Programs that show melange-pool at work, written against the released API only: {@link
 * dev.melange.pool.examples.QuickStart}, the README's first lines, and {@link
 * dev.melange.pool.examples.BuildFarmDemo}, a build farm of simulated BuildKit daemons.
 */
@NullMarked
package dev.melange.pool.examples;

import org.jspecify.annotations.NullMarked;
