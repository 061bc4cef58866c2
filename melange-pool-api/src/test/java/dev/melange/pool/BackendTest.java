package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class BackendTest {

  private static final String ADDR = "tcp://buildkit-x86:1234";

  @Test
  void ofMakesABackendWithNoLabelsAndThePoolDefaultMaxJobs() {
    Backend backend = Backend.of(ADDR, "x86_64");

    assertThat(backend.addr()).isEqualTo(ADDR);
    assertThat(backend.arch()).isEqualTo("x86_64");
    assertThat(backend.maxJobs()).isZero();
    assertThat(backend.labels()).isEmpty();
    assertThat(backend.weight()).isEqualTo(1);
    assertThat(backend.backup()).isFalse();
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", " ", "\t\n"})
  @SuppressWarnings("NullAway") // callers outside null-checked code can pass null
  void missingAddrIsRefused(@Nullable String addr) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(addr, "x86_64"))
        .withMessage("addr is required");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(addr, "x86_64", 1, Map.of()))
        .withMessage("addr is required");
  }

  @Test
  void anEmptyArchIsOneToDiscover() {
    Backend backend = Backend.discover(ADDR);

    assertThat(backend.arch()).isEmpty();
    assertThat(backend.discoversArch()).isTrue();
    assertThat(Backend.of(ADDR, "")).isEqualTo(backend);
    assertThat(backend.withArch("aarch64").discoversArch()).isFalse();
    assertThat(backend.withAllowEmulated(true).withTls(Tls.system()))
        .returns(true, Backend::allowEmulated)
        .returns(Tls.system(), Backend::tls)
        .returns(ADDR, Backend::addr);
  }

  @Test
  void tlsNeedsAKeyWithACertificateAndANonBlankServerName() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Tls(null, Path.of("cert.pem"), null, null))
        .withMessage("tls: cert requires key");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Tls(null, null, Path.of("key.pem"), null))
        .withMessage("tls: key requires cert");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Tls.system().withServerName(" "))
        .withMessage("tls: serverName must not be blank");
    assertThat(
            Tls.trusting(Path.of("ca.pem"))
                .withClientCertificate(Path.of("c.pem"), Path.of("k.pem"))
                .isMutual())
        .isTrue();
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {" ", "\t\n"})
  @SuppressWarnings("NullAway") // callers outside null-checked code can pass null
  void missingArchIsRefused(@Nullable String arch) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, arch))
        .withMessage("arch is required");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(ADDR, arch, 1, Map.of()))
        .withMessage("arch is required");
  }

  @Test
  void negativeMaxJobsIsRefusedNamingTheValue() {
    Backend backend = Backend.of(ADDR, "x86_64");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> backend.withMaxJobs(-3))
        .withMessage("maxJobs must be >= 0, was -3");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(ADDR, "x86_64", Integer.MIN_VALUE, Map.of()))
        .withMessage("maxJobs must be >= 0, was " + Integer.MIN_VALUE);
  }

  @Test
  void zeroMaxJobsIsAllowedAndMeansThePoolDefault() {
    Backend backend = Backend.of(ADDR, "x86_64").withMaxJobs(4).withMaxJobs(0);

    assertThat(backend.maxJobs()).isZero();
  }

  @Test
  void labelsKeepTheOrderTheyWereGivenIn() {
    Map<String, String> labels = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>();
    // Enough keys, in reverse order, that a hash-ordered copy would not keep the order by chance.
    for (int i = 20; i > 0; i--) {
      labels.put("key" + i, "value" + i);
      keys.add("key" + i);
    }

    Backend backend = new Backend(ADDR, "x86_64", 2, labels);

    assertThat(backend.labels().keySet()).containsExactlyElementsOf(keys);
    assertThat(backend.withMaxJobs(3).labels().keySet()).containsExactlyElementsOf(keys);
  }

  @Test
  void labelsAreUnmodifiable() {
    Backend backend = new Backend(ADDR, "x86_64", 2, Map.of("tier", "high"));
    Map<String, String> labels = backend.labels();

    assertThatThrownBy(() -> labels.put("gpu", "a100"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> labels.remove("tier"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(labels::clear).isInstanceOf(UnsupportedOperationException.class);
    assertThat(backend.labels()).containsExactly(Map.entry("tier", "high"));
  }

  @Test
  void labelsAreCopiedSoLaterChangesToTheSourceDoNotShow() {
    Map<String, String> source = new LinkedHashMap<>();
    source.put("tier", "high");
    Backend backend = new Backend(ADDR, "x86_64", 2, source);

    source.put("gpu", "a100");
    source.put("tier", "low");

    assertThat(backend.labels()).containsExactly(Map.entry("tier", "high"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " "})
  void blankLabelKeyIsRefusedNamingTheKey(String key) {
    Map<String, String> labels = Map.of(key, "v");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(ADDR, "x86_64", 0, labels))
        .withMessage("label key must not be blank, was \"" + key + "\"");
  }

  @Test
  @SuppressWarnings("NullAway") // callers outside null-checked code can pass null
  void nullLabelValueIsRefusedNamingTheKey() {
    Map<String, String> labels = new HashMap<>();
    labels.put("gpu", null);

    assertThatNullPointerException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withLabels(labels))
        .withMessage("label gpu=null: null key or value");
  }

  @Test
  void withMaxJobsReturnsACopyAndLeavesTheOriginalAlone() {
    Backend original = new Backend(ADDR, "aarch64", 2, Map.of("tier", "high"));

    Backend changed = original.withMaxJobs(8);

    assertThat(changed).isEqualTo(new Backend(ADDR, "aarch64", 8, Map.of("tier", "high")));
    assertThat(original.maxJobs()).isEqualTo(2);
  }

  @Test
  void withLabelsReplacesTheLabelsRatherThanMerging() {
    Backend original = new Backend(ADDR, "aarch64", 2, Map.of("tier", "high"));
    Map<String, String> replacement = new LinkedHashMap<>();
    replacement.put("zone", "b");
    replacement.put("gpu", "a100");

    Backend changed = original.withLabels(replacement);

    assertThat(changed.labels())
        .containsExactly(Map.entry("zone", "b"), Map.entry("gpu", "a100"))
        .doesNotContainKey("tier");
    assertThat(changed.addr()).isEqualTo(ADDR);
    assertThat(changed.arch()).isEqualTo("aarch64");
    assertThat(changed.maxJobs()).isEqualTo(2);
    assertThat(original.labels()).containsExactly(Map.entry("tier", "high"));
  }

  @Test
  void withLabelsOfNothingRemovesEveryLabel() {
    Backend backend = new Backend(ADDR, "x86_64", 2, Map.of("tier", "high")).withLabels(Map.of());

    assertThat(backend.labels()).isEmpty();
  }

  @Test
  void backendsWithEqualFieldsAreEqual() {
    Backend one = new Backend(ADDR, "x86_64", 2, Map.of("tier", "high"));
    Backend other = Backend.of(ADDR, "x86_64").withMaxJobs(2).withLabels(Map.of("tier", "high"));

    assertThat(one).isEqualTo(other).hasSameHashCodeAs(other);
  }

  @Test
  void labelOrderDoesNotAffectEquality() {
    Map<String, String> forward = new LinkedHashMap<>();
    forward.put("a", "1");
    forward.put("b", "2");
    Map<String, String> backward = new LinkedHashMap<>();
    backward.put("b", "2");
    backward.put("a", "1");

    Backend one = new Backend(ADDR, "x86_64", 0, forward);
    Backend other = new Backend(ADDR, "x86_64", 0, backward);

    assertThat(one).isEqualTo(other).hasSameHashCodeAs(other);
  }

  @Test
  void backendsDifferingInAnyFieldAreNotEqual() {
    Backend base = new Backend(ADDR, "x86_64", 2, Map.of("tier", "high"));

    assertThat(base).isNotEqualTo(new Backend("tcp://other:1234", "x86_64", 2, base.labels()));
    assertThat(base).isNotEqualTo(new Backend(ADDR, "aarch64", 2, base.labels()));
    assertThat(base).isNotEqualTo(base.withMaxJobs(3));
    assertThat(base).isNotEqualTo(base.withLabels(Map.of("tier", "low")));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void weightBelowOneIsRefusedNamingTheValue(int weight) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withWeight(weight))
        .withMessage("weight must be >= 1, was " + weight);
  }

  @Test
  void weightAboveTheLimitIsRefused() {
    assertThat(Backend.of(ADDR, "x86_64").withWeight(Backend.MAX_WEIGHT).weight())
        .isEqualTo(1_000_000);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withWeight(Backend.MAX_WEIGHT + 1))
        .withMessage("weight must be <= 1000000, was 1000001");
  }

  @Test
  void withersKeepEveryOtherComponent() {
    Backend backend =
        new Backend(ADDR, "aarch64", 3, Map.of("tier", "high"), 5, true)
            .withMaxJobs(7)
            .withLabels(Map.of("gpu", "t4"))
            .withWeight(9)
            .withBackup(false)
            .withBackup(true);
    assertThat(backend).isEqualTo(new Backend(ADDR, "aarch64", 7, Map.of("gpu", "t4"), 9, true));
  }

  @ParameterizedTest
  @ValueSource(strings = {" x86_64 ", "x86_64 ", "\u00a0aarch64"})
  void anArchWithWhiteSpaceAroundItIsRefused(String arch) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, arch))
        .withMessageStartingWith("arch must not start or end with white space, was \"");
  }

  @Test
  void anArchWithControlCharactersIsRefusedAndShownEscaped() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64\n[INFO] forged"))
        .withMessage("arch must not contain control characters, was \"x86_64\\n[INFO] forged\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.discover(ADDR).withArch("x86\u202e_64"))
        .withMessage("arch must not contain control characters, was \"x86\\u202e_64\"");
  }

  @Test
  void invisibleCharactersAndLoneSurrogatesAreRefusedToo() {
    // They make "tier=standard\u200b" look like "tier=standard", which no selector then matches.
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64\u200b"))
        .withMessage("arch must not contain control characters, was \"x86_64\\u200b\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86\ud800_64"))
        .withMessage("arch must not contain control characters, was \"x86\\ud800_64\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withLabels(Map.of("\ufefftier", "standard")))
        .withMessage("label key must not contain control characters, was \"\\ufefftier\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withLabels(Map.of("tier", "standard\u2060")))
        .withMessage(
            "label value of \"tier\" must not contain control characters, was \"standard\\u2060\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of("tcp://a\u200b:1234", "x86_64"))
        .withMessageContaining("control characters");
    // Letters beyond the BMP are text, not controls.
    assertThat(
            Backend.of(ADDR, "x86_64").withLabels(Map.of("team", "\ud83d\ude80 rocket")).labels())
        .containsEntry("team", "\ud83d\ude80 rocket");
  }

  @Test
  void anArchLongerThanTheLimitIsRefused() {
    assertThat(Backend.of(ADDR, "a".repeat(Backend.MAX_ARCH_LENGTH)).arch()).hasSize(64);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "a".repeat(65)))
        .withMessage("arch must be at most 64 characters, was 65: \"" + "a".repeat(65) + "\"");
  }

  @Test
  void anArchMelangeDoesNotKnowIsTaken() {
    // Warned about by the pool, not refused: a custom worker may name its own.
    assertThat(Backend.of(ADDR, "amd64").arch()).isEqualTo("amd64");
  }

  @Test
  void labelsAreBoundedInNumberAndLength() {
    Map<String, String> most = new LinkedHashMap<>();
    for (int i = 0; i < Backend.MAX_LABELS; i++) {
      most.put("k" + i, "v");
    }
    assertThat(new Backend(ADDR, "x86_64", 0, most).labels()).hasSize(64);
    most.put("one-more", "v");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(ADDR, "x86_64", 0, most))
        .withMessage("labels must be at most 64, was 65");

    String longestKey = "k".repeat(Backend.MAX_LABEL_KEY_LENGTH);
    String longestValue = "v".repeat(Backend.MAX_LABEL_VALUE_LENGTH);
    assertThat(Backend.of(ADDR, "x86_64").withLabels(Map.of(longestKey, longestValue)).labels())
        .containsEntry(longestKey, longestValue);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withLabels(Map.of(longestKey + "k", "v")))
        .withMessage("label key must be at most 128 characters, was 129: \"" + longestKey + "k\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withLabels(Map.of("tier", longestValue + "v")))
        .withMessage(
            "label value of \"tier\" must be at most 256 characters, was 257: \""
                + longestValue
                + "v\"");
  }

  @Test
  void labelsWithControlCharactersAreRefusedAndShownEscaped() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(ADDR, "x86_64").withLabels(Map.of("ti\u0000er", "high")))
        .withMessage("label key must not contain control characters, was \"ti\\u0000er\"");
    assertThatIllegalArgumentException()
        .isThrownBy(
            () -> Backend.of(ADDR, "x86_64").withLabels(Map.of("tier", "high\u001b]0;pwned\u0007")))
        .withMessage(
            "label value of \"tier\" must not contain control characters, was"
                + " \"high\\u001b]0;pwned\\u0007\"");
    Map<String, String> two = new LinkedHashMap<>();
    two.put("tier", "high");
    two.put("zone", "a\u2069b");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(ADDR, "x86_64", 0, two))
        .withMessage(
            "label value of \"zone\" must not contain control characters, was \"a\\u2069b\"");
  }
}
