package dev.melange.pool.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FootprintReportTest {
  @TempDir Path dir;

  @Test
  void measuresThePoolsGraphPerBackend() {
    FootprintReport.Footprint footprint = FootprintReport.measure(100, 1_000);

    assertThat(footprint.rows())
        .extracting(FootprintReport.Row::backends)
        .containsExactly(100, 1_000);
    // Each backend costs at least its Backend record, its address and its slot, so a figure below
    // 100 bytes means the graph walk missed them; the shared parts must not dominate at 1,000.
    assertThat(footprint.marginalBytesPerBackend()).isBetween(100.0, 2_000.0);
    FootprintReport.Row large = footprint.rows().get(1);
    assertThat(large.bytesPerBackend()).isBetween(100.0, 2 * footprint.marginalBytesPerBackend());
  }

  @Test
  void writesFootprintJson() throws Exception {
    FootprintReport.main(new String[] {dir.toString()});

    String json = Files.readString(dir.resolve("footprint.json"));
    assertThat(json).contains("\"backends\": 10000").contains("marginalBytesPerBackend");
  }
}
