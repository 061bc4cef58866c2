/**
 * melange-pool's BuildKit adapter: the {@code buildkit} health probe, which asks each daemon over
 * gRPC whether it serves and has a worker. Found by {@link java.util.ServiceLoader}: with this jar
 * on the class path, {@code healthCheck: {type: buildkit}} works.
 */
@NullMarked
package dev.melange.pool.buildkit;

import org.jspecify.annotations.NullMarked;
