package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AcquireOptionsTest {

  @Test
  void defaultsMeanThePoolsTimeoutNoKeyAndNormalPriority() {
    assertThat(AcquireOptions.defaults().timeout()).isNull();
    assertThat(AcquireOptions.defaults().affinityKey()).isNull();
    assertThat(AcquireOptions.defaults().priority()).isEqualTo(Priority.NORMAL);
  }

  @Test
  void withersReturnCopiesAndLeaveTheOriginalAlone() {
    AcquireOptions defaults = AcquireOptions.defaults();
    AcquireOptions options = defaults.withTimeout(Duration.ofSeconds(5)).withAffinityKey("openssl");
    assertThat(options).isEqualTo(new AcquireOptions(Duration.ofSeconds(5), "openssl"));
    assertThat(defaults).isEqualTo(new AcquireOptions(null, null));
    assertThat(options.withTimeout(Duration.ZERO).timeout()).isZero();
  }

  @Test
  void withPriorityKeepsTheOtherOptionsAndTheOtherWithersKeepThePriority() {
    AcquireOptions urgent =
        AcquireOptions.defaults().withTimeout(Duration.ofSeconds(5)).withPriority(Priority.HIGH);
    assertThat(urgent).isEqualTo(new AcquireOptions(Duration.ofSeconds(5), null, Priority.HIGH));

    AcquireOptions keyed = urgent.withAffinityKey("openssl").withTimeout(Duration.ZERO);
    assertThat(keyed).isEqualTo(new AcquireOptions(Duration.ZERO, "openssl", Priority.HIGH));
    assertThat(keyed.withPriority(Priority.LOW).priority()).isEqualTo(Priority.LOW);
    assertThat(AcquireOptions.defaults().priority()).isEqualTo(Priority.NORMAL);
  }

  @Test
  void theConstructorWithoutAPriorityMeansNormal() {
    assertThat(new AcquireOptions(Duration.ofSeconds(1), "k").priority())
        .isEqualTo(Priority.NORMAL);
  }

  @Test
  void aNullPriorityIsRefusedSayingWhatTheDefaultIs() {
    assertThatNullPointerException()
        .isThrownBy(() -> AcquireOptions.defaults().withPriority(nullPriority()))
        .withMessage("priority must not be null (the default is NORMAL)");
    assertThatNullPointerException()
        .isThrownBy(() -> new AcquireOptions(null, null, nullPriority()))
        .withMessage("priority must not be null (the default is NORMAL)");
  }

  @Test
  void prioritiesHaveTheirNumericValuesInOrder() {
    assertThat(Priority.values()).extracting(Priority::value).containsExactly(0, 100, 200, 255);
    assertThat(Priority.values())
        .containsExactly(Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL);
  }

  @Test
  void aNegativeTimeoutIsRefusedNamingTheValue() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AcquireOptions.defaults().withTimeout(Duration.ofSeconds(-1)))
        .withMessage("timeout must be >= 0, was PT-1S");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " "})
  void aBlankKeyIsRefused(String key) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AcquireOptions.defaults().withAffinityKey(key))
        .withMessage("affinityKey must not be blank, was \"" + key + "\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AcquireOptions.defaults().withAffinityKey("\t"))
        .withMessage("affinityKey must not be blank, was \"\\t\"");
  }

  @Test
  void withersRefuseNull() {
    assertThatNullPointerException()
        .isThrownBy(() -> AcquireOptions.defaults().withAffinityKey(nullString()))
        .withMessage("key");
    assertThatNullPointerException()
        .isThrownBy(() -> AcquireOptions.defaults().withTimeout(nullDuration()))
        .withMessage("timeout");
  }

  @SuppressWarnings("NullAway")
  private static String nullString() {
    return null;
  }

  @SuppressWarnings("NullAway")
  private static Duration nullDuration() {
    return null;
  }

  @SuppressWarnings("NullAway")
  private static Priority nullPriority() {
    return null;
  }
}
