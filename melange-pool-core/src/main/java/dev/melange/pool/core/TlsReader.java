package dev.melange.pool.core;

import dev.melange.pool.Tls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads a backend's {@code tls: {ca, cert, key, serverName}}. Paths are relative to the YAML file;
 * each file must be readable, and the key an unencrypted PKCS#8 PEM key, which is what Java's TLS
 * (and grpc-java's) reads: a PKCS#1 or SEC1 key, as {@code openssl genrsa} and older tools write
 * them, is refused here with the command that converts it, rather than failing obscurely at the
 * first connect.
 */
final class TlsReader {
  static final List<String> KEYS = List.of("ca", "cert", "key", "serverName");

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
      problems.add(node, path, "must be a file, was \"" + text + "\"");
      return null;
    }
    Path file = directory == null ? Path.of(text) : directory.resolve(text);
    if (!Files.isRegularFile(file)) {
      problems.add(node, path, "no such file: " + file);
      return null;
    }
    if (!Files.isReadable(file)) {
      problems.add(node, path, "cannot read " + file);
      return null;
    }
    return file;
  }
}
