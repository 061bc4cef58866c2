package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.core.breaker.ConsecutiveFailuresCircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker;
import dev.melange.pool.spi.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default breaker tells its listener of each transition, once, as it makes it. */
class CircuitTransitionsTest {
  private final FakeTicker ticker = new FakeTicker();
  private final List<String> heard = new ArrayList<>();
  private final CircuitBreaker breaker =
      new ConsecutiveFailuresCircuitBreaker(
          ticker, 2, Duration.ofSeconds(10), (from, to) -> heard.add(from + "->" + to));

  @Test
  void eachTransitionIsHeardOnce() {
    breaker.onFailure(breaker.tryAcquirePermit(), new Exception());
    assertThat(heard).isEmpty(); // one failure of two
    breaker.onFailure(breaker.tryAcquirePermit(), new Exception());
    assertThat(heard).containsExactly("CLOSED->OPEN");

    ticker.advance(Duration.ofSeconds(10));
    long trial = breaker.tryAcquirePermit();
    assertThat(breaker.tryAcquirePermit()).isEqualTo(CircuitBreaker.REFUSED);
    breaker.onFailure(trial, new Exception());
    assertThat(heard).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN");

    ticker.advance(Duration.ofSeconds(10));
    trial = breaker.tryAcquirePermit();
    breaker.onNoOutcome(trial); // frees the trial: no change of state, still half-open
    assertThat(breaker.snapshot().state()).isEqualTo(State.HALF_OPEN);
    trial = breaker.tryAcquirePermit();
    breaker.onSuccess(trial);
    assertThat(heard)
        .containsExactly(
            "CLOSED->OPEN",
            "OPEN->HALF_OPEN",
            "HALF_OPEN->OPEN",
            "OPEN->HALF_OPEN",
            "HALF_OPEN->CLOSED");
    assertThat(breaker.snapshot().state()).isEqualTo(State.CLOSED);
  }
}
