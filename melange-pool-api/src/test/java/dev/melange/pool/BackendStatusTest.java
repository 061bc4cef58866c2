package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.spi.CircuitBreaker;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class BackendStatusTest {

  @Test
  void labelsKeepTheOrderTheyWereGivenIn() {
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 20; i > 0; i--) {
      labels.put("key" + i, "value" + i);
    }

    BackendStatus status = status(labels, null);

    assertThat(status.labels()).containsExactlyEntriesOf(labels);
  }

  @Test
  void labelsAreCopiedSoLaterChangesToTheSourceDoNotShow() {
    Map<String, String> source = new LinkedHashMap<>();
    source.put("tier", "high");
    BackendStatus status = status(source, null);

    source.put("gpu", "a100");

    assertThat(status.labels()).containsExactly(Map.entry("tier", "high"));
  }

  @Test
  void labelsAreUnmodifiable() {
    Map<String, String> labels = status(Map.of("tier", "high"), null).labels();

    assertThatThrownBy(() -> labels.put("gpu", "a100"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(labels::clear).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void lastFailureIsNullWhenThereNeverWasOne() {
    Instant when = Instant.parse("2026-11-21T10:15:30Z");

    assertThat(status(Map.of(), null).lastFailure()).isNull();
    assertThat(status(Map.of(), when).lastFailure()).isEqualTo(when);
  }

  @Test
  void statusesWithEqualFieldsAreEqual() {
    Instant when = Instant.parse("2026-11-21T10:15:30Z");

    assertThat(status(Map.of("tier", "high"), when))
        .isEqualTo(status(Map.of("tier", "high"), when))
        .hasSameHashCodeAs(status(Map.of("tier", "high"), when))
        .isNotEqualTo(status(Map.of("tier", "high"), null));
  }

  private static BackendStatus status(Map<String, String> labels, @Nullable Instant lastFailure) {
    return new BackendStatus(
        "tcp://a:1234",
        "x86_64",
        labels,
        4,
        4,
        1,
        1,
        false,
        2,
        true,
        lastFailure,
        null,
        AdminState.READY,
        CircuitBreaker.State.OPEN,
        Health.HEALTHY,
        null,
        null,
        null,
        null,
        null,
        null,
        List.of(),
        null);
  }
}
