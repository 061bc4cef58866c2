package dev.melange.pool.core.config;

import dev.melange.pool.Tls;
import dev.melange.pool.internal.DisplayText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads a backend's {@code tls: {ca, cert, key, serverName}}. Paths are relative to the YAML file;
 * each file must be a readable regular file of at most {@link #MAX_FILE_BYTES} (a device such as
 * {@code /dev/zero}, a FIFO, which would block whoever opens it, or a huge file is refused unread),
 * and the key an unencrypted PKCS#8 PEM key, which is what Java's TLS (and grpc-java's) reads: a
 * PKCS#1 or SEC1 key, as {@code openssl genrsa} and older tools write them, is refused here with
 * the command that converts it, rather than failing obscurely at the first connect.
 */
public final class TlsReader {
  static final List<String> KEYS = List.of("ca", "cert", "key", "serverName");

  /**
   * The largest PEM file taken, 1 MiB: a CA bundle of every public root is a few hundred KiB, and
   * the probe reads these files whole.
   */
  public static final long MAX_FILE_BYTES = 1024 * 1024;

  private final ConfigProblems problems;
  private final YamlValueReader values;
  private final @Nullable Path directory;

  TlsReader(ConfigProblems problems, YamlValueReader values, String file) {
    this.problems = problems;
    this.values = values;
    this.directory = Path.of(file).toAbsolutePath().getParent();
  }

  /**
   * The settings the node gives; null for none ({@code tls} left out, null or {@code false}) and
   * when a problem was reported.
   */
  @Nullable Tls read(@Nullable Node node, String path) {
    if (node == null || YamlValueReader.isNull(node)) {
      return null;
    }
    if (!(node instanceof MappingNode mapping)) {
      Boolean on = values.bool(node, path);
      if (on != null && on) {
        return Tls.system();
      }
      return null;
    }
    int before = problems.count();
    Map<String, Node> fields = values.fields(mapping, path, KEYS);
    Path ca = file(fields.get("ca"), path + ".ca");
    Path cert = file(fields.get("cert"), path + ".cert");
    Node keyNode = fields.get("key");
    Path key = file(keyNode, path + ".key");
    String serverName = null;
    Node nameNode = fields.get("serverName");
    if (nameNode != null) {
      serverName = values.text(nameNode, path + ".serverName");
      if (serverName != null && serverName.isBlank()) {
        problems.add(nameNode, path + ".serverName", "must not be blank");
      } else if (serverName != null && hasControl(serverName)) {
        problems.add(
            nameNode,
            path + ".serverName",
            "must not contain control characters, was \""
                + YamlValueReader.shown(serverName)
                + "\"");
      }
    }
    if (key != null && keyNode != null) {
      String problem = Tls.keyFileProblem(key);
      if (problem != null) {
        problems.add(keyNode, path + ".key", problem);
      }
    }
    if ((cert == null) != (key == null) && problems.count() == before) {
      problems.add(mapping, path, cert == null ? "key requires cert" : "cert requires key");
    }
    if (problems.count() > before) {
      return null;
    }
    return new Tls(ca, cert, key, serverName);
  }

  private @Nullable Path file(@Nullable Node node, String path) {
    if (node == null) {
      return null;
    }
    String text = values.text(node, path);
    if (text == null) {
      return null;
    }
    if (text.isBlank()) {
      problems.add(node, path, "must be a file, was \"" + YamlValueReader.shown(text) + "\"");
      return null;
    }
    if (hasControl(text)) {
      // NUL would make the path invalid; a newline or ESC would be printed in every message.
      problems.add(
          node,
          path,
          "must not contain control characters, was \"" + YamlValueReader.shown(text) + "\"");
      return null;
    }
    Path file;
    try {
      file = directory == null ? Path.of(text) : directory.resolve(text);
    } catch (InvalidPathException e) {
      problems.add(node, path, "not a valid path: \"" + YamlValueReader.shown(text) + "\"");
      return null;
    }
    String shown = YamlValueReader.shown(file.toString(), MAX_SHOWN_PATH);
    if (!Files.exists(file)) {
      problems.add(node, path, "no such file: " + shown);
      return null;
    }
    if (!Files.isRegularFile(file)) {
      problems.add(node, path, shown + " is not a regular file (a directory, a device or a FIFO)");
      return null;
    }
    if (!Files.isReadable(file)) {
      problems.add(node, path, "cannot read " + shown);
      return null;
    }
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        problems.add(
            node, path, shown + " is " + size + " bytes, more than a PEM file's 1 MiB limit");
        return null;
      }
    } catch (IOException e) {
      problems.add(
          node,
          path,
          "cannot read " + shown + ": " + YamlValueReader.shown(String.valueOf(e.getMessage())));
      return null;
    }
    return file;
  }

  /** A path is shown whole up to this length: messages about it must let one find the file. */
  private static final int MAX_SHOWN_PATH = 512;

  private static boolean hasControl(String text) {
    return DisplayText.firstControl(text) >= 0;
  }
}
