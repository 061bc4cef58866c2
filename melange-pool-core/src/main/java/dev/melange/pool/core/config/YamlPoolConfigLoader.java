package dev.melange.pool.core.config;

import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.internal.Utf8;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Loads a pool configuration from a YAML file in melange-server's {@code backends.yaml} format,
 * plus our own keys ({@link PoolSettingsReader} lists them). Every problem with the file, from a
 * missing file through broken YAML to a bad value, becomes one {@link PoolConfigException} listing
 * each problem located as {@code <file>:<line>:<column>: <path>: <problem>}; a bad file never
 * yields settings.
 *
 * <p>The file is composed into a node tree rather than constructed into Java objects, because only
 * nodes carry the line and column each message needs; {@link PoolSettingsReader} then walks the
 * tree.
 */
public final class YamlPoolConfigLoader {

  /** 4 MiB: a pool of thousands of backends fits; anything larger is a mistake or worse. */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  /**
   * Aliases of mappings and sequences allowed in one file. Anchors have a use here (labels shared
   * by several backends), but a few dozen covers it; the limit is what refuses a billion laughs.
   */
  static final int MAX_COLLECTION_ALIASES = 50;

  private YamlPoolConfigLoader() {}

  /**
   * Reads and validates the file.
   *
   * @throws PoolConfigException on any problem with the file, with every problem found
   */
  public static PoolSettings load(Path path) {
    return load(path, List.of());
  }

  /**
   * Reads and validates the file, where {@code healthCheck.type} may also name {@code probeTypes}
   * (a pool's own, given in code).
   *
   * @throws PoolConfigException on any problem with the file, with every problem found
   */
  public static PoolSettings load(Path path, Collection<String> probeTypes) {
    ConfigFileRead.Content content = read(path);
    Optional<Node> root = compose(path.toString(), content.bytes());
    List<String> types = new ArrayList<>(HealthService.knownTypes());
    probeTypes.stream().filter(type -> !types.contains(type)).sorted().forEach(types::add);
    PoolSettings settings =
        new PoolSettingsReader(path.toString(), types)
            .read(root.orElse(null))
            .withSource(path, content.stamp());
    try {
      return settings.withEnvironment();
    } catch (IllegalArgumentException e) {
      // The environment's problem, not the file's: said as such, in the loader's exception.
      throw new PoolConfigException(List.of(String.valueOf(e.getMessage())), 0, 0, e);
    }
  }

  /**
   * The file's bytes, and its stamp for the watch taken just before they were read (so a change
   * made while the file is read is a change to the watch), within a deadline ({@link
   * ConfigFileRead}).
   *
   * @throws PoolConfigException when the file cannot be read, is not a regular file, is larger than
   *     {@link #MAX_BYTES}, or does not answer in time
   */
  private static ConfigFileRead.Content read(Path path) {
    String file = path.toString();
    if (Files.isDirectory(path)) {
      throw fileProblem(file, "cannot read: is a directory", null);
    }
    if (Files.exists(path) && !Files.isRegularFile(path)) {
      // A FIFO (or a device) would block the reader until a writer comes, or never end. (One
      // swapped in after this look blocks the reading thread only, until the deadline.)
      throw fileProblem(file, "cannot read: not a regular file (a pipe or a device?)", null);
    }
    ConfigFileRead.Content content;
    try {
      content = ConfigFileRead.read(path, MAX_BYTES);
    } catch (NoSuchFileException e) {
      throw fileProblem(file, "cannot read: no such file", e);
    } catch (AccessDeniedException e) {
      throw fileProblem(file, "cannot read: permission denied", e);
    } catch (IOException e) {
      throw fileProblem(file, "cannot read: " + e.getMessage(), e);
    }
    if (content.bytes().length > MAX_BYTES) {
      throw fileProblem(file, "cannot read: larger than the 4 MiB limit", null);
    }
    return content;
  }

  /**
   * The document's root node, empty for an empty file.
   *
   * @throws PoolConfigException when the bytes are not UTF-8 or not well-formed YAML
   */
  private static Optional<Node> compose(String file, byte[] bytes) {
    String text;
    try {
      text = Utf8.decode(bytes);
    } catch (CharacterCodingException e) {
      throw fileProblem(file, "cannot read: not valid UTF-8", e);
    }
    try {
      return new Compose(settings(file)).composeString(text);
    } catch (MarkedYamlEngineException e) {
      throw syntaxError(file, e);
    } catch (YamlEngineException e) {
      throw engineError(file, e);
    } catch (StackOverflowError e) {
      // The composer recurses once per nesting level and has no depth limit of its own; a file of
      // a million '[' must be refused, not crash the caller.
      throw fileProblem(file, "invalid YAML: nested too deeply", null);
    }
  }

  /**
   * The YAML 1.2 core schema, not the engine's default JSON schema: with it plain {@code true},
   * {@code 0x1F} and {@code ~} resolve as YAML users expect, while {@code yes}, {@code on} and
   * {@code 1_000} stay strings, as in Go's yaml.v3 that melange-server uses.
   */
  private static LoadSettings settings(String label) {
    return LoadSettings.builder()
        .setLabel(label)
        .setSchema(new CoreSchema())
        .setUseMarks(true)
        .setCodePointLimit(MAX_BYTES)
        .setMaxAliasesForCollections(MAX_COLLECTION_ALIASES)
        .setAllowRecursiveKeys(false)
        .build();
  }

  private static PoolConfigException syntaxError(String file, MarkedYamlEngineException e) {
    String problem = e.getProblem();
    // Some problems only make sense after their context ("but found another document").
    String context = e.getContext();
    if (problem.startsWith("but ") && context != null && !context.isBlank()) {
      problem = context + ", " + problem;
    }
    Mark mark = e.getProblemMark().orElse(null);
    if (mark == null) {
      return fileProblem(file, "invalid YAML: " + problem, e);
    }
    int line = mark.getLine() + 1;
    int column = mark.getColumn() + 1;
    return new PoolConfigException(
        List.of(file + ":" + line + ":" + column + ": invalid YAML: " + problem), line, column, e);
  }

  /** The engine's unlocated refusals, in words that say what to do about them. */
  private static PoolConfigException engineError(String file, YamlEngineException e) {
    String message = String.valueOf(e.getMessage());
    Throwable cause = e.getCause();
    if (cause instanceof CharacterCodingException) {
      return fileProblem(file, "cannot read: not valid UTF-8", e);
    }
    if (cause instanceof IOException) {
      return fileProblem(file, "cannot read: " + cause.getMessage(), e);
    }
    if (e instanceof ReaderException reader) {
      // The reader knows the offending character's offset but not its line.
      String character = String.format("U+%04X", reader.getCodePoint());
      return fileProblem(
          file,
          "invalid YAML: "
              + message
              + ", found "
              + character
              + " at offset "
              + reader.getPosition(),
          e);
    }
    if (message.startsWith("Number of aliases")) {
      return fileProblem(
          file,
          "invalid YAML: more than "
              + MAX_COLLECTION_ALIASES
              + " aliases of mappings or sequences, refused as a possible alias bomb",
          e);
    }
    if (message.contains("exceeds the limit")) { // the engine's own limit, in case it acts first
      return fileProblem(file, "cannot read: larger than the 4 MiB limit", e);
    }
    return fileProblem(file, "invalid YAML: " + message, e);
  }

  private static PoolConfigException fileProblem(
      String file, String problem, @Nullable Throwable cause) {
    return new PoolConfigException(List.of(file + ": " + problem), 0, 0, cause);
  }
}
