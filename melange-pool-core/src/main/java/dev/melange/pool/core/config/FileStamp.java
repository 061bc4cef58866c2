package dev.melange.pool.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.jspecify.annotations.Nullable;

/**
 * What a configuration file looked like when it was read: its modification time, size and file key.
 * A watch compares the stamp of the file now with the one taken with the last read: any difference
 * is a change (a file replaced by another of the same size and time keeps its key only if it is the
 * same file).
 */
public record FileStamp(long modified, long size, @Nullable Object key) {
  /** The file's stamp now; null when it cannot be read (being replaced, say): a change, if so. */
  public static @Nullable FileStamp of(Path file) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return new FileStamp(
          attributes.lastModifiedTime().toMillis(), attributes.size(), attributes.fileKey());
    } catch (IOException e) {
      return null;
    }
  }
}
