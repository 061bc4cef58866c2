package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.YamlPoolConfigLoader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test helper: configuration files in a test's temporary directory, loaded or refused. */
final class ConfigFiles {
  private final Path dir;

  /** Two x86_64 backends, tcp://a:1 and tcp://b:1, for tests to add settings to. */
  static final String TWO_BACKENDS =
      """
      backends:
        - addr: tcp://a:1
          arch: x86_64
        - addr: tcp://b:1
          arch: x86_64
      """;

  ConfigFiles(Path dir) {
    this.dir = dir;
  }

  /** Writes {@code backends.yaml}. */
  Path write(String yaml) throws IOException {
    return Files.writeString(dir.resolve("backends.yaml"), yaml, StandardCharsets.UTF_8);
  }

  PoolSettings load(String yaml) throws IOException {
    return YamlPoolConfigLoader.load(write(yaml));
  }

  /** The loader's refusal of {@code yaml}; fails the test if it loads. */
  PoolConfigException refused(String yaml) throws IOException {
    Path file = write(yaml);
    PoolConfigException e =
        catchThrowableOfType(PoolConfigException.class, () -> YamlPoolConfigLoader.load(file));
    assertThat(e).as("a PoolConfigException for:%n%s", yaml).isNotNull();
    return e;
  }

  /** A refusal's problems, the directory cut from the file name for readable asserts. */
  List<String> problems(PoolConfigException e) {
    return e.problems().stream().map(p -> p.replace(dir + File.separator, "")).toList();
  }

  /** The problems the loader reports for {@code yaml}. */
  List<String> problems(String yaml) throws IOException {
    return problems(refused(yaml));
  }
}
