package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.NoBackendAvailableException.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolExceptionTest {

  @Test
  void everyExceptionIsAnUncheckedPoolException() {
    assertThat(new BackendNotFoundException("a"))
        .isInstanceOf(PoolException.class)
        .isInstanceOf(RuntimeException.class);
    assertThat(new DuplicateBackendException("a")).isInstanceOf(PoolException.class);
    assertThat(new NoBackendAvailableException(Reason.NO_CAPACITY, "no available backend: x"))
        .isInstanceOf(PoolException.class);
    assertThat(new PoolConfigException("f:1:1: p: bad", 1, 1)).isInstanceOf(PoolException.class);
  }

  @Test
  void backendNotFoundNamesAndCarriesTheAddr() {
    BackendNotFoundException exception = new BackendNotFoundException("tcp://a:1234");

    assertThat(exception).hasMessage("backend not found: tcp://a:1234");
    assertThat(exception.addr()).isEqualTo("tcp://a:1234");
  }

  @Test
  void duplicateBackendNamesAndCarriesTheAddr() {
    DuplicateBackendException exception = new DuplicateBackendException("tcp://a:1234");

    assertThat(exception).hasMessage("backend already exists: tcp://a:1234");
    assertThat(exception.addr()).isEqualTo("tcp://a:1234");
  }

  @Test
  void noBackendAvailableCarriesItsReasonAndSkipsTheStackTrace() {
    NoBackendAvailableException exception =
        new NoBackendAvailableException(
            Reason.UNKNOWN_ARCH, "no available backend: no backend has arch riscv64");

    assertThat(exception.reason()).isEqualTo(Reason.UNKNOWN_ARCH);
    assertThat(exception).hasMessage("no available backend: no backend has arch riscv64");
    assertThat(exception.getStackTrace()).isEmpty();
  }

  @Test
  void poolConfigExceptionPutsOneProblemOnEachLine() {
    IOException cause = new IOException("boom");

    PoolConfigException exception =
        new PoolConfigException(
            List.of("b.yaml:3:5: backends[0].addr: is required", "b.yaml:7:3: x: unknown key"),
            3,
            5,
            cause);

    assertThat(exception)
        .hasMessage("b.yaml:3:5: backends[0].addr: is required\nb.yaml:7:3: x: unknown key")
        .hasCause(cause);
    assertThat(exception.problems()).hasSize(2);
    assertThat(exception.line()).isEqualTo(3);
    assertThat(exception.column()).isEqualTo(5);
  }

  @Test
  void poolConfigExceptionWithOneProblemHasItAsMessageAndNoCause() {
    PoolConfigException exception = new PoolConfigException("b.yaml:1:1: root: not a map", 1, 1);

    assertThat(exception).hasMessage("b.yaml:1:1: root: not a map").hasNoCause();
    assertThat(exception.problems()).containsExactly("b.yaml:1:1: root: not a map");
  }

  @Test
  void poolConfigExceptionNeedsAtLeastOneProblem() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new PoolConfigException(List.of(), 0, 0, null))
        .withMessage("problems must not be empty");
  }

  @Test
  void poolConfigProblemsAreCopiedAndUnmodifiable() {
    List<String> source = new ArrayList<>(List.of("b.yaml:1:1: a: bad"));
    PoolConfigException exception = new PoolConfigException(source, 1, 1, null);

    source.add("b.yaml:2:1: b: bad");

    List<String> problems = exception.problems();
    assertThat(problems).containsExactly("b.yaml:1:1: a: bad");
    assertThatThrownBy(() -> problems.add("more"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void poolExceptionKeepsItsCause() {
    IllegalStateException cause = new IllegalStateException("inner");

    assertThat(new PoolException("outer", cause)).hasMessage("outer").hasCause(cause);
    assertThat(new PoolException("plain")).hasMessage("plain").hasNoCause();
  }

  @Test
  void addressesAndPatternsAreShownEscapedAndCut() {
    assertThat(new BackendNotFoundException("tcp://a:1\nINFO removed backend tcp://b:1"))
        .hasMessage("backend not found: tcp://a:1\\nINFO removed backend tcp://b:1")
        .returns("tcp://a:1\nINFO removed backend tcp://b:1", BackendNotFoundException::addr);
    assertThat(new DuplicateBackendException("tcp://\u001b[2Ja:1"))
        .hasMessage("backend already exists: tcp://\\u001b[2Ja:1");
    assertThat(BackendNotFoundException.noMatch("tcp://\u202eevil*"))
        .hasMessage("no backend matches \"tcp://\\u202eevil*\"");

    String pattern = "*".repeat(60_000) + "tcp://victim:1234";
    BackendNotFoundException huge = BackendNotFoundException.noMatch(pattern);
    assertThat(huge.getMessage())
        .startsWith("no backend matches \"****")
        .endsWith("... (60017 characters)\"")
        .hasSizeLessThan(600);
    assertThat(huge.addr()).isEqualTo(pattern);
  }

  @Test
  void ordinaryAddressesAndPatternsReadAsMelangeServerWritesThem() {
    assertThat(new BackendNotFoundException("tcp://buildkit-arm:1234"))
        .hasMessage("backend not found: tcp://buildkit-arm:1234");
    assertThat(new DuplicateBackendException("unix:///run/buildkit/buildkitd.sock"))
        .hasMessage("backend already exists: unix:///run/buildkit/buildkitd.sock");
    assertThat(BackendNotFoundException.noMatch("tcp://buildkit-arm*"))
        .hasMessage("no backend matches \"tcp://buildkit-arm*\"");
  }
}
