package dev.melange.pool.core.config;

import dev.melange.pool.PoolConfigException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The problems found in one configuration file, each located as {@code <file>:<line>:<column>:
 * <path>: <problem>}, gathered so that one {@link PoolConfigException} reports them all. Not
 * thread-safe: one loader run owns it.
 *
 * <p>Problems are kept in source order whatever order they were found in: a missing key, for
 * instance, is only known after its mapping's other keys were read, yet is reported at the
 * mapping's start.
 */
public final class ConfigProblems {

  /**
   * Enough to fix a file in one go; more would only be noise. It also bounds the memory a hostile
   * file can make us spend on messages (a few MiB of {@code - {}} lines is a million backends, each
   * missing two keys).
   */
  public static final int MAX_REPORTED = 100;

  private record Problem(int line, int column, String text) {}

  private final String file;
  private final List<Problem> problems = new ArrayList<>();
  private int omitted;

  ConfigProblems(String file) {
    this.file = file;
  }

  /** A problem at the start of {@code node}, about the value at {@code path}. */
  void add(Node node, String path, String problem) {
    Mark mark = node.getStartMark().orElse(null);
    if (mark == null) {
      addAt(0, 0, path, problem); // marks are switched on, so this is only a safety net
    } else {
      addAt(mark.getLine() + 1, mark.getColumn() + 1, path, problem);
    }
  }

  /**
   * A problem at a 1-based line and column. An empty {@code path} leaves the path out, for problems
   * with the YAML itself rather than with a value.
   */
  void addAt(int line, int column, String path, String problem) {
    if (problems.size() >= MAX_REPORTED) {
      omitted++;
      return;
    }
    String where = line > 0 ? file + ":" + line + ":" + column : file;
    String what = path.isEmpty() ? problem : path + ": " + problem;
    problems.add(new Problem(line, column, where + ": " + what));
  }

  /** A problem with the file as a whole, which has no line: it could not be read, say. */
  void addUnlocated(String problem) {
    addAt(0, 0, "", problem);
  }

  /** How many problems were found so far, to tell whether a part of the file added any. */
  int count() {
    return problems.size() + omitted;
  }

  boolean isEmpty() {
    return count() == 0;
  }

  /**
   * Throws them all as one exception, when there is any.
   *
   * @throws PoolConfigException when any problem was added
   */
  void throwIfAny() {
    if (!isEmpty()) {
      throw toException();
    }
  }

  /** All the problems as one exception, in source order, located at the first; at least one. */
  PoolConfigException toException() {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
    List<String> lines = new ArrayList<>(sorted.size() + 1);
    sorted.forEach(problem -> lines.add(problem.text()));
    if (omitted > 0) {
      lines.add(file + ": " + omitted + " more problems not shown");
    }
    Problem first = sorted.get(0);
    return new PoolConfigException(lines, first.line(), first.column(), null);
  }
}
