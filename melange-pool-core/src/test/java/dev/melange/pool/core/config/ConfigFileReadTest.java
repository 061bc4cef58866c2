package dev.melange.pool.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.PoolConfigException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration file that blocks (a FIFO swapped in after the loader looked at the path, as the
 * outside review did in a loop while reloading; or a hung mount) fails its read at a deadline, and
 * holds neither the caller nor the pool's reload lock for good.
 */
class ConfigFileReadTest {

  @Test
  void aFileThatDoesNotAnswerFailsTheReadAtTheDeadline(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("backends.yaml");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).isZero();
    try {
      assertThatThrownBy(() -> ConfigFileRead.read(fifo, 1024, Duration.ofMillis(300)))
          .isInstanceOf(PoolConfigException.class)
          .hasMessage(
              fifo + ": cannot read: no answer within 300ms (a pipe, a device or a hung mount?)");
    } finally {
      // The reading thread waits in open() for a writer: one comes, and goes, and it ends.
      try (OutputStream writer = Files.newOutputStream(fifo)) {
        writer.flush();
      }
    }
  }

  @Test
  void aRegularFileIsReadWithItsStampAndAtMostOneByteBeyondTheLimit(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("backends.yaml");
    Files.writeString(file, "x".repeat(100));
    ConfigFileRead.Content content = ConfigFileRead.read(file, 10);
    assertThat(content.bytes()).hasSize(11);
    assertThat(content.stamp()).isEqualTo(FileStamp.of(file));
  }
}
