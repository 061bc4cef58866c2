/** Helpers the API's packages share: not part of the API, and not exported by the module. */
@NullMarked
package dev.melange.pool.internal;

import org.jspecify.annotations.NullMarked;
