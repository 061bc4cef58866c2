/**
 * The configuration: the YAML loader and its readers (every problem located as {@code
 * file:line:column: path: problem}), the settings they produce ({@link
 * dev.melange.pool.core.config.PoolSettings} and its parts), the file read with a deadline and its
 * stamp for the watch, and the optional dependencies a configuration may ask for. Knows nothing of
 * pools or slots. Not exported; public only for core's other packages.
 */
@NullMarked
package dev.melange.pool.core.config;

import org.jspecify.annotations.NullMarked;
