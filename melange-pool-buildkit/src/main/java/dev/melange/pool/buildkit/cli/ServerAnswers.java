package dev.melange.pool.buildkit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.Map;

/**
 * The shapes the commands expect of a server's answers, checked before anything is printed: an
 * answer of another shape (an empty object, a list where an object belongs, a number for an
 * address) is an error naming the field, never an empty table or {@code No backends found}. Fields
 * the commands do not print may be anything; a server may add fields.
 */
final class ServerAnswers {
  private ServerAnswers() {}

  /** {@code {"backends":[{addr,arch,labels?,maxJobs?}],"architectures":[...]}}. */
  static void requireBackendList(JsonNode answer, String doing, URI server) throws CliException {
    requireObject(answer, "the answer", doing, server);
    JsonNode backends = requireArray(answer, "backends", doing, server);
    for (int i = 0; i < backends.size(); i++) {
      requireBackend(backends.get(i), "backends[" + i + "]", doing, server);
    }
    JsonNode architectures = requireArray(answer, "architectures", doing, server);
    for (int i = 0; i < architectures.size(); i++) {
      if (!architectures.get(i).isTextual()) {
        throw wrong(doing, server, "architectures[" + i + "]", "must be a string");
      }
    }
  }

  /** A backend as added: {@code {addr,arch,labels?,maxJobs?}}. */
  static void requireBackend(JsonNode answer, String doing, URI server) throws CliException {
    requireBackend(answer, "the answer", doing, server);
  }

  /** {@code {"backends":[{addr,arch,labels?,...}]}} with numbers and texts where printed. */
  static void requireStatus(JsonNode answer, String doing, URI server) throws CliException {
    requireObject(answer, "the answer", doing, server);
    JsonNode backends = requireArray(answer, "backends", doing, server);
    for (int i = 0; i < backends.size(); i++) {
      String at = "backends[" + i + "]";
      JsonNode backend = backends.get(i);
      requireBackend(backend, at, doing, server);
      for (String number : new String[] {"maxJobs", "effectiveMaxJobs", "activeJobs", "failures"}) {
        JsonNode value = backend.path(number);
        if (!value.isMissingNode() && !value.isNull() && !value.canConvertToInt()) {
          throw wrong(doing, server, at + "." + number, "must be an integer");
        }
      }
      for (String text :
          new String[] {"adminState", "health", "circuitState", "lastFailure", "lastProbeResult"}) {
        JsonNode value = backend.path(text);
        if (!value.isMissingNode() && !value.isNull() && !value.isTextual()) {
          throw wrong(doing, server, at + "." + text, "must be a string");
        }
      }
    }
  }

  private static void requireBackend(JsonNode backend, String at, String doing, URI server)
      throws CliException {
    requireObject(backend, at, doing, server);
    for (String field : new String[] {"addr", "arch"}) {
      if (!backend.path(field).isTextual()) {
        throw wrong(doing, server, at + "." + field, "must be a string");
      }
    }
    JsonNode labels = backend.path("labels");
    if (labels.isMissingNode() || labels.isNull()) {
      return; // Go writes a nil map as null
    }
    if (!labels.isObject()) {
      throw wrong(doing, server, at + ".labels", "must be an object of strings");
    }
    for (Map.Entry<String, JsonNode> label : labels.properties()) {
      if (!label.getValue().isTextual()) {
        throw wrong(doing, server, at + ".labels", "must be an object of strings");
      }
    }
    JsonNode maxJobs = backend.path("maxJobs");
    if (!maxJobs.isMissingNode() && !maxJobs.isNull() && !maxJobs.canConvertToInt()) {
      throw wrong(doing, server, at + ".maxJobs", "must be an integer");
    }
  }

  private static void requireObject(JsonNode node, String at, String doing, URI server)
      throws CliException {
    if (!node.isObject()) {
      throw wrong(doing, server, at, "must be a JSON object");
    }
  }

  private static JsonNode requireArray(JsonNode answer, String field, String doing, URI server)
      throws CliException {
    JsonNode array = answer.path(field);
    if (array.isMissingNode()) {
      throw new CliException(
          doing
              + ": "
              + server
              + " answered without \""
              + field
              + "\": not melange-server's backend API?");
    }
    if (!array.isArray()) {
      throw wrong(doing, server, field, "must be a list");
    }
    return array;
  }

  private static CliException wrong(String doing, URI server, String at, String problem) {
    String where = at.equals("the answer") ? at : "\"" + at + "\"";
    return new CliException(
        doing + ": unexpected answer from " + server + ": " + where + " " + problem);
  }
}
