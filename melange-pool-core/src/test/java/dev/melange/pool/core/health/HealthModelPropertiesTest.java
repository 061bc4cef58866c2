package dev.melange.pool.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link HealthModel} against the rules written out plainly: for the window model, a list of every
 * result with the assumed successes before them; for the consecutive model, counts of results in a
 * row.
 */
class HealthModelPropertiesTest {

  @Property(tries = 1000)
  void windowModelIsKOfTheLastN(
      @ForAll("windows") HealthCheck check, @ForAll @Size(max = 200) List<Boolean> results) {
    HealthModel model = new HealthModel(check);
    List<Boolean> history = new ArrayList<>(Collections.nCopies(check.initial(), true));
    assertThat(model.health())
        .isEqualTo(check.initial() >= check.threshold() ? Health.HEALTHY : Health.UNKNOWN);
    for (boolean result : results) {
      history.add(result);
      List<Boolean> last =
          history.subList(Math.max(0, history.size() - check.window()), history.size());
      long successes = last.stream().filter(ok -> ok).count();
      Health expected = successes >= check.threshold() ? Health.HEALTHY : Health.UNHEALTHY;
      assertThat(model.record(result)).as("after %s", history).isEqualTo(expected);
    }
  }

  @Property(tries = 1000)
  void consecutiveModelFlipsAfterItsThresholdInARow(
      @ForAll @IntRange(min = 1, max = 5) int healthyThreshold,
      @ForAll @IntRange(min = 1, max = 5) int unhealthyThreshold,
      @ForAll @Size(max = 200) List<Boolean> results) {
    HealthModel model =
        new HealthModel(HealthCheck.tcp().consecutive(healthyThreshold, unhealthyThreshold));
    Health expected = Health.UNKNOWN;
    int inARow = 0;
    for (boolean result : results) {
      if (expected == Health.UNKNOWN) {
        expected = result ? Health.HEALTHY : Health.UNHEALTHY; // the first result decides
      } else if (result == (expected == Health.HEALTHY)) {
        inARow = 0;
      } else if (++inARow >= (result ? healthyThreshold : unhealthyThreshold)) {
        expected = result ? Health.HEALTHY : Health.UNHEALTHY;
        inARow = 0;
      }
      assertThat(model.record(result)).isEqualTo(expected);
    }
  }

  @Property(tries = 200)
  void aSeededModelStartsFromTheHealthGiven(
      @ForAll("windows") HealthCheck check, @ForAll boolean healthy, @ForAll boolean next) {
    Health seed = healthy ? Health.HEALTHY : Health.UNHEALTHY;
    HealthModel window = new HealthModel(check, seed);
    HealthModel consecutive = new HealthModel(HealthCheck.tcp().consecutive(2, 3), seed);

    assertThat(window.health()).isEqualTo(seed);
    assertThat(consecutive.health()).isEqualTo(seed);
    // One result against the seed does not flip it while the thresholds ask for more.
    if (next != healthy && check.threshold() > 1 && check.threshold() < check.window()) {
      assertThat(window.record(next)).isEqualTo(seed);
    }
    if (next != healthy) {
      assertThat(consecutive.record(next)).isEqualTo(seed);
    }
  }

  @Provide
  Arbitrary<HealthCheck> windows() {
    return Arbitraries.integers()
        .between(1, HealthCheck.MAX_WINDOW)
        .flatMap(
            window ->
                Combinators.combine(
                        Arbitraries.integers().between(1, window),
                        Arbitraries.integers().between(0, window))
                    .as(
                        (threshold, initial) ->
                            HealthCheck.tcp().window(window, threshold, initial)));
  }
}
