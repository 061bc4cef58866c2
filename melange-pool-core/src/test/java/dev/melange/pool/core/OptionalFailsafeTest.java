package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.melange.pool.BackendPool;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Failsafe is an optional dependency of core: an embedder without it gets pools as usual, and one
 * that asks for the failsafe breaker without it gets an error naming the artifact, not a {@link
 * NoClassDefFoundError}. Run in a JVM of its own whose class path is core and what core requires,
 * without Failsafe, as a consumer's build resolves it.
 */
class OptionalFailsafeTest {
  @TempDir Path dir;

  @Test
  void withoutFailsafeOnTheClassPathPoolsWorkAndTheFailsafeBreakerNamesTheArtifact()
      throws Exception {
    Path plain =
        Files.writeString(
            dir.resolve("plain.yaml"), "backends:\n  - addr: tcp://a:1234\n    arch: x86_64\n");
    Path failsafe =
        Files.writeString(
            dir.resolve("failsafe.yaml"),
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
            circuitBreaker:
              type: failsafe
            """);
    Path source = dir.resolve("WithoutFailsafe.java");
    try (InputStream in =
        OptionalFailsafeTest.class.getResourceAsStream("/optional-failsafe/WithoutFailsafe.java")) {
      assertThat(in).as("the program's source").isNotNull();
      Files.copy(in, source);
    }
    String classPath =
        String.join(
            File.pathSeparator,
            locationOf(BackendPool.class), // api
            locationOf(LocalBackendPool.class), // core
            locationOf(Caffeine.class),
            locationOf(LoadSettings.class), // SnakeYAML Engine
            locationOf(LoggerFactory.class)); // SLF4J API
    assertThat(classPath).doesNotContain("failsafe");

    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    Stream.of("-cp", classPath, source.toString(), plain.toString(), failsafe.toString())
        .forEach(command::add);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean ended = process.waitFor(120, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ended) {
      process.destroyForcibly();
    }
    assertThat(ended).as("the program ended; it said: %s", output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("leased tcp://a:1234\n")
        .contains(
            "yaml: "
                + failsafe
                + ":5:9: circuitBreaker.type: the failsafe circuit breaker needs Failsafe: add"
                + " dev.failsafe:failsafe to the class path (on the module path, also"
                + " --add-modules dev.failsafe.core)")
        .contains(
            "builder: CircuitBreakerPolicy.Failsafe needs Failsafe: add dev.failsafe:failsafe to"
                + " the class path (on the module path, also --add-modules dev.failsafe.core)");
  }

  private static String locationOf(Class<?> type) throws URISyntaxException, IOException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toRealPath()
        .toString();
  }
}
