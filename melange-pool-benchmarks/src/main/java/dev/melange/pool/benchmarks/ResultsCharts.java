package dev.melange.pool.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the report's charts as PNG files with XChart: the round trip at 16 backends, its scaling
 * with the fleet, and the hand-off latency percentiles. A chart whose data is missing is not drawn.
 * The caller must run headless ({@code java.awt.headless=true}) on a machine without a display.
 */
final class ResultsCharts {
  static final String ROUND_TRIP = "round-trip-16.png";
  static final String SCALE = "scale.png";
  static final String HANDOFF = "handoff.png";
  static final int WIDTH = 900;
  static final int HEIGHT = 500;

  /** Above this max/min spread, a bar chart's y axis is logarithmic: else the short bars vanish. */
  private static final double LOG_SCALE_SPREAD = 20;

  private static final long BACKENDS = MeasuredResults.ROUND_TRIP_BACKENDS;

  private ResultsCharts() {}

  /**
   * Draws every chart that has data into {@code directory}.
   *
   * @return the files written
   * @throws IOException if a file cannot be written
   */
  static List<Path> write(MeasuredResults results, Path directory) throws IOException {
    List<Path> written = new ArrayList<>();
    if (!results.throughput().isEmpty()) {
      written.add(save(roundTrip(results), directory.resolve(ROUND_TRIP)));
      written.add(save(scale(results), directory.resolve(SCALE)));
    }
    if (!results.handoff().isEmpty()) {
      written.add(save(handoff(results), directory.resolve(HANDOFF)));
    }
    return written;
  }

  private static CategoryChart roundTrip(MeasuredResults results) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Acquire + release round trip, " + BACKENDS + " backends")
            .xAxisTitle("Implementation")
            .yAxisTitle("ns/op (lower is better)")
            .build();
    List<String> labels = new ArrayList<>();
    List<Implementation> measured = new ArrayList<>();
    for (Implementation implementation : results.roundTripImplementations()) {
      if (MeasuredResults.THREAD_COUNTS.stream()
          .anyMatch(threads -> results.find(implementation, BACKENDS, threads) != null)) {
        measured.add(implementation);
        labels.add(implementation.label());
      }
    }
    List<Double> all = new ArrayList<>();
    for (int threads : MeasuredResults.THREAD_COUNTS) {
      List<@Nullable Double> nanos = new ArrayList<>();
      for (Implementation implementation : measured) {
        Double value = results.nanosPerOp(implementation, BACKENDS, threads);
        nanos.add(value);
        if (value != null) {
          all.add(value);
        }
      }
      if (nanos.stream().anyMatch(value -> value != null)) {
        chart.addSeries(Figures.threads(threads), labels, nanos);
      }
    }
    style(chart.getStyler());
    chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
    chart.getStyler().setXAxisLabelRotation(15);
    labelBars(chart, all);
    logarithmicIfSpread(chart, all);
    return chart;
  }

  private static XYChart scale(MeasuredResults results) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Round trip by fleet size (dashed: 2 threads)")
            .xAxisTitle("Backends in the pool")
            .yAxisTitle("ns/op, log scale (lower is better)")
            .build();
    style(chart.getStyler());
    chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
    // Round trips take nanoseconds, never fractions of one.
    chart
        .getStyler()
        .setXAxisDecimalPattern(decimalPattern(1))
        .setYAxisDecimalPattern(decimalPattern(1));
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
    Color[] colors = chart.getStyler().getSeriesColors();
    int next = 0;
    for (Implementation implementation : results.scalingImplementations()) {
      boolean drawn = false;
      for (int threads : MeasuredResults.THREAD_COUNTS) {
        List<Double> backends = new ArrayList<>();
        List<Double> nanos = new ArrayList<>();
        for (long count : results.backendCounts()) {
          Double value = results.nanosPerOp(implementation, count, threads);
          if (value != null) {
            backends.add((double) count);
            nanos.add(value);
          }
        }
        if (nanos.isEmpty()) {
          continue;
        }
        String name =
            implementation.label() + (threads == 1 ? "" : ", " + Figures.threads(threads));
        XYSeries series = chart.addSeries(name, backends, nanos);
        Color color = colors[next % colors.length];
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setLineStyle(threads == 1 ? SeriesLines.SOLID : SeriesLines.DASH_DASH);
        drawn = true;
      }
      next += drawn ? 1 : 0;
    }
    return chart;
  }

  private static CategoryChart handoff(MeasuredResults results) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Hand-off latency: release to the waiter's acquire")
            .xAxisTitle("Percentile")
            .yAxisTitle("µs (lower is better)")
            .build();
    List<String> labels = new ArrayList<>();
    for (HandoffPercentile p : HandoffPercentile.values()) {
      labels.add(p.label);
    }
    List<Double> all = new ArrayList<>();
    for (BenchmarkResult result : results.handoff()) {
      List<@Nullable Double> micros = new ArrayList<>();
      for (HandoffPercentile p : HandoffPercentile.values()) {
        Double value = result.percentileMicros(p.percentile);
        micros.add(value);
        if (value != null) {
          all.add(value);
        }
      }
      String name = result.params().isEmpty() ? result.benchmark() : result.params().toString();
      chart.addSeries(name, labels, micros);
    }
    style(chart.getStyler());
    chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
    chart.getStyler().setLegendVisible(results.handoff().size() > 1);
    labelBars(chart, all);
    logarithmicIfSpread(chart, all);
    return chart;
  }

  /** Fonts that stay legible when the PNG is shrunk into a README. */
  private static void style(AxesChartStyler styler) {
    styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
    styler.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    styler.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotGridLinesStroke(new BasicStroke(0.5f));
  }

  /** The figure on each bar, so that a log axis need not be read to the digit. */
  private static void labelBars(CategoryChart chart, List<Double> values) {
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    chart.getStyler().setYAxisDecimalPattern(decimalPattern(min(values)));
  }

  /**
   * Numbers on axes and bars: {@code 10,000} rather than XChart's {@code 1E4}, with enough decimals
   * that the smallest value does not read as 0.
   */
  private static String decimalPattern(double smallest) {
    return smallest < 0.1 ? "#,##0.###" : smallest < 1 ? "#,##0.##" : "#,##0.#";
  }

  private static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(1);
  }

  /**
   * Makes a bar chart's y axis logarithmic when the bars span more than {@link #LOG_SCALE_SPREAD}.
   * XChart anchors bars at zero, which a log axis cannot show, so the axis starts at the decade
   * below the shortest bar; a zero bar keeps the axis linear.
   */
  private static void logarithmicIfSpread(CategoryChart chart, List<Double> values) {
    double min = min(values);
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    if (min > 0 && max / min > LOG_SCALE_SPREAD) {
      chart.getStyler().setYAxisLogarithmic(true);
      chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
      chart.setYAxisTitle(chart.getYAxisTitle().replace(" (", ", log scale ("));
    }
  }

  private static Path save(Chart<?, ?> chart, Path file) throws IOException {
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapFormat.PNG);
    return file;
  }
}
