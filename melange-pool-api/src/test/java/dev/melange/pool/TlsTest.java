package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {

  @TempDir Path dir;

  @Test
  void aKeyThatIsADeviceIsRefusedUnreadRatherThanCalledMissing() {
    Path zero = Path.of("/dev/zero");
    assertThat(Files.exists(zero)).as("needs /dev/zero").isTrue();

    assertThat(Tls.keyFileProblem(zero))
        .isEqualTo("/dev/zero is not a regular file (a directory, a device or a FIFO)");
  }

  @Test
  void aKeyThatIsAFifoIsRefusedWithoutWaitingForAWriter() throws Exception {
    Path fifo = dir.resolve("key.pem");
    assertThat(mkfifo(fifo)).as("needs mkfifo").isTrue();

    String problem =
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> Tls.keyFileProblem(fifo));

    assertThat(problem)
        .isEqualTo(fifo + " is not a regular file (a directory, a device or a FIFO)");
  }

  @Test
  void aMissingKeyIsCalledMissingAndItsNameIsShownEscaped() {
    assertThat(Tls.keyFileProblem(dir.resolve("no\nkey.pem")))
        .isEqualTo("no such file: " + dir + "/no\\nkey.pem");
  }

  @Test
  void aServerNameWithControlCharactersIsRefused() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Tls.system().withServerName("buildkit\r\n"))
        .withMessage("tls: serverName must not contain control characters, was \"buildkit\\r\\n\"");
  }

  private static boolean mkfifo(Path path) throws InterruptedException {
    try {
      Process process = new ProcessBuilder("mkfifo", path.toString()).start();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
