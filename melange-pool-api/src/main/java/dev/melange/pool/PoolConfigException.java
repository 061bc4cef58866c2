package dev.melange.pool;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A pool configuration is invalid. Each problem is one line of the message, in the form {@code
 * <file>:<line>:<column>: <path>: <problem>}; {@link #line()} and {@link #column()} locate the
 * first one. A configuration that throws this never yields a pool.
 */
public final class PoolConfigException extends PoolException {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;
  private final List<String> problems;

  /**
   * A single problem.
   *
   * @param message the problem, already located ({@code <file>:<line>:<column>: <path>: <problem>})
   * @param line 1-based line of the problem, 0 when unknown
   * @param column 1-based column of the problem, 0 when unknown
   */
  public PoolConfigException(String message, int line, int column) {
    this(List.of(message), line, column, null);
  }

  /**
   * Several problems found in one pass.
   *
   * @param problems each problem, already located; at least one
   * @param line 1-based line of the first problem, 0 when unknown
   * @param column 1-based column of the first problem, 0 when unknown
   * @param cause the underlying failure, if any
   */
  public PoolConfigException(
      List<String> problems, int line, int column, @Nullable Throwable cause) {
    super(String.join("\n", requireSome(problems)), cause);
    this.problems = List.copyOf(problems);
    this.line = line;
    this.column = column;
  }

  private static List<String> requireSome(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("problems must not be empty");
    }
    return problems;
  }

  /** 1-based line of the first problem, 0 when unknown (for example, an unreadable file). */
  public int line() {
    return line;
  }

  /** 1-based column of the first problem, 0 when unknown. */
  public int column() {
    return column;
  }

  /** Every problem found, one located line each, in the order of the source. */
  public List<String> problems() {
    return problems;
  }
}
