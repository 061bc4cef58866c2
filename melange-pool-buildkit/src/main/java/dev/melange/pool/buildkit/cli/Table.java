package dev.melange.pool.buildkit.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Columns aligned as Go's {@code tabwriter} aligns them with a padding of 3 (melange's output):
 * each cell but the last of its row is padded to the widest of its column plus three spaces; the
 * last cell is not padded, so no line ends in spaces.
 */
final class Table {
  private static final int PADDING = 3;

  private final List<String[]> rows = new ArrayList<>();

  Table row(String... cells) {
    rows.add(cells);
    return this;
  }

  void print(PrintWriter out) {
    List<Integer> widths = new ArrayList<>();
    for (String[] row : rows) {
      for (int column = 0; column < row.length - 1; column++) {
        int width = width(row[column]);
        if (column == widths.size()) {
          widths.add(width);
        } else if (width > widths.get(column)) {
          widths.set(column, width);
        }
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int column = 0; column < row.length; column++) {
        line.append(row[column]);
        if (column < row.length - 1) {
          line.append(" ".repeat(widths.get(column) - width(row[column]) + PADDING));
        }
      }
      out.println(line);
    }
  }

  /** Go counts runes, not bytes or UTF-16 units. */
  private static int width(String cell) {
    return cell.codePointCount(0, cell.length());
  }
}
