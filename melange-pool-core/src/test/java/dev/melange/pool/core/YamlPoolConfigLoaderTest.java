package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.melange.pool.Backend;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.config.ConfigProblems;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.core.config.YamlPoolConfigLoader;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlPoolConfigLoaderTest {

  /** Verbatim from melange-server's "Managing Backends" guide. */
  private static final String MELANGE_EXAMPLE =
      """
      # backends.yaml
      backends:
        # Standard x86_64 backend
        - addr: tcp://buildkit-x86:1234
          arch: x86_64
          maxJobs: 4
          labels:
            tier: standard
            location: us-central1

        # ARM64 backend
        - addr: tcp://buildkit-arm:1234
          arch: aarch64
          maxJobs: 2
          labels:
            tier: standard

        # High-memory x86_64 backend for large builds
        - addr: tcp://buildkit-highmem:1234
          arch: x86_64
          maxJobs: 2
          labels:
            tier: high-memory
            memory: 64gi

      # Pool-wide configuration
      defaultMaxJobs: 4        # Default if backend's maxJobs is 0
      failureThreshold: 3      # Consecutive failures before circuit opens
      recoveryTimeout: 30s     # How long circuit stays open before retry
      """;

  private static final String ONE_BACKEND =
      """
      backends:
        - addr: tcp://a:1234
          arch: x86_64
      """;

  @SuppressWarnings("NullAway.Init") // JUnit sets it before each test
  @TempDir
  Path dir;

  @Test
  void melangeExampleFileLoadsVerbatim() throws IOException {
    PoolSettings settings = YamlPoolConfigLoader.load(write(MELANGE_EXAMPLE));

    assertThat(settings.backends())
        .extracting(Backend::addr, Backend::arch, Backend::maxJobs)
        .containsExactly(
            tuple("tcp://buildkit-x86:1234", "x86_64", 4),
            tuple("tcp://buildkit-arm:1234", "aarch64", 2),
            tuple("tcp://buildkit-highmem:1234", "x86_64", 2));
    assertThat(settings.backends().get(0).labels())
        .containsExactly(entry("tier", "standard"), entry("location", "us-central1"));
    assertThat(settings.backends().get(1).labels()).containsExactly(entry("tier", "standard"));
    assertThat(settings.backends().get(2).labels())
        .containsExactly(entry("tier", "high-memory"), entry("memory", "64gi"));
    assertThat(settings.defaultMaxJobs()).isEqualTo(4);
    assertThat(settings.failureThreshold()).isEqualTo(3);
    assertThat(settings.recoveryTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.acquireTimeout()).isEqualTo(PoolSettings.DEFAULT_ACQUIRE_TIMEOUT);
  }

  @Test
  void absentOptionsTakeTheirDefaults() throws IOException {
    PoolSettings settings = YamlPoolConfigLoader.load(write(ONE_BACKEND));

    assertThat(settings.backends()).containsExactly(Backend.of("tcp://a:1234", "x86_64"));
    assertThat(settings.defaultMaxJobs()).isEqualTo(4);
    assertThat(settings.failureThreshold()).isEqualTo(3);
    assertThat(settings.recoveryTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.acquireTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.strategy()).isEqualTo(StrategySettings.DEFAULT);
    assertThat(settings.affinityLoadFactor()).isEqualTo(1.25);
    assertThat(settings.slowStart()).isZero();
    assertThat(settings.priorityAging()).isEqualTo(Duration.ofSeconds(10));
    assertThat(settings.backends().get(0).weight()).isEqualTo(1);
  }

  @Test
  void everyOptionIsRead() throws IOException {
    PoolSettings settings =
        YamlPoolConfigLoader.load(
            write(
                ONE_BACKEND
                    + """
                    defaultMaxJobs: 8
                    failureThreshold: 5
                    recoveryTimeout: 1m30s
                    acquireTimeout: 250ms
                    """));

    assertThat(settings.defaultMaxJobs()).isEqualTo(8);
    assertThat(settings.failureThreshold()).isEqualTo(5);
    assertThat(settings.recoveryTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(settings.acquireTimeout()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void zeroCountsMeanTheDefaultsAsInMelange() throws IOException {
    PoolSettings settings =
        YamlPoolConfigLoader.load(write(ONE_BACKEND + "defaultMaxJobs: 0\nfailureThreshold: 0\n"));

    assertThat(settings.defaultMaxJobs()).isEqualTo(PoolSettings.DEFAULT_MAX_JOBS);
    assertThat(settings.failureThreshold()).isEqualTo(PoolSettings.DEFAULT_FAILURE_THRESHOLD);
  }

  @Test
  void zeroAcquireTimeoutMeansDoNotWait() throws IOException {
    PoolSettings settings = YamlPoolConfigLoader.load(write(ONE_BACKEND + "acquireTimeout: 0s\n"));

    assertThat(settings.acquireTimeout()).isZero();
  }

  @Test
  void labelsWithIntBoolAndFloatValuesBecomeTheirText() throws IOException {
    PoolSettings settings =
        YamlPoolConfigLoader.load(
            write(
                ONE_BACKEND
                    + """
                        labels:
                          tier: 1
                          gpu: true
                          ratio: 1.5
                          mask: 0x1F
                          answer: yes
                    """));

    assertThat(settings.backends().get(0).labels())
        .containsExactly(
            entry("tier", "1"),
            entry("gpu", "true"),
            entry("ratio", "1.5"),
            entry("mask", "0x1F"),
            entry("answer", "yes"));
  }

  @Test
  void emptyLabelsAreNoLabels() throws IOException {
    PoolSettings settings = YamlPoolConfigLoader.load(write(ONE_BACKEND + "    labels:\n"));

    assertThat(settings.backends().get(0).labels()).isEmpty();
  }

  @Test
  void zeroMaxJobsIsKeptForThePoolDefault() throws IOException {
    PoolSettings settings = YamlPoolConfigLoader.load(write(ONE_BACKEND + "    maxJobs: 0\n"));

    assertThat(settings.backends().get(0).maxJobs()).isZero();
  }

  @Test
  void labelsSharedThroughAnAnchorAndMergeKeysLoad() throws IOException {
    PoolSettings settings =
        YamlPoolConfigLoader.load(
            write(
                """
                backends:
                  - &x86 {addr: tcp://a:1234, arch: x86_64, labels: &std {tier: standard}}
                  - <<: *x86
                    addr: tcp://b:1234
                  - {addr: tcp://c:1234, arch: aarch64, labels: *std}
                """));

    assertThat(settings.backends())
        .containsExactly(
            new Backend("tcp://a:1234", "x86_64", 0, Map.of("tier", "standard")),
            new Backend("tcp://b:1234", "x86_64", 0, Map.of("tier", "standard")),
            new Backend("tcp://c:1234", "aarch64", 0, Map.of("tier", "standard")));
  }

  @Test
  void negativeMaxJobsIsReportedAtTheValue() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                maxJobs: -3
            """);

    assertThat(problems(e))
        .containsExactly("backends.yaml:4:14: backends[0].maxJobs: must be >= 0, was -3");
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.column()).isEqualTo(14);
  }

  @Test
  void integersMustBeYamlIntegersAndTheMessageSaysWhatWasFound() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - {addr: tcp://a:1, arch: x86_64, maxJobs: "4"}
              - {addr: tcp://b:1, arch: x86_64, maxJobs: 4.5}
              - {addr: tcp://c:1, arch: x86_64, maxJobs: four}
              - {addr: tcp://d:1, arch: x86_64, maxJobs: {n: 4}}
              - {addr: tcp://e:1, arch: x86_64, maxJobs: }
              - {addr: tcp://f:1, arch: x86_64, maxJobs: 99999999999}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:2:46: backends[0].maxJobs: must be an integer, was \"4\"",
            "backends.yaml:3:46: backends[1].maxJobs: must be an integer, was 4.5",
            "backends.yaml:4:46: backends[2].maxJobs: must be an integer, was \"four\"",
            "backends.yaml:5:46: backends[3].maxJobs: must be an integer, was a mapping",
            "backends.yaml:6:45: backends[4].maxJobs: must be an integer, was null",
            "backends.yaml:7:46: backends[5].maxJobs: must be <= 1000000, was 99999999999");
  }

  @Test
  void negativePoolCountsAreRefused() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "defaultMaxJobs: -3\nfailureThreshold: -1\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:17: defaultMaxJobs: must be >= 0, was -3",
            "backends.yaml:5:19: failureThreshold: must be >= 0, was -1");
  }

  @Test
  void missingAddrAndArchAreReportedAtTheBackend() throws IOException {
    PoolConfigException e = refused("backends:\n  - maxJobs: 2\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:2:5: backends[0]: addr is required",
            "backends.yaml:2:5: backends[0]: arch is required");
  }

  @Test
  void blankOrNullAddrIsRequiredAtTheValue() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - {addr: " ", arch: x86_64}
              - {addr: tcp://b:1, arch: }
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:2:12: backends[0].addr: addr is required",
            "backends.yaml:3:28: backends[1].arch: arch is required");
  }

  @Test
  void nonScalarAddrIsRefused() throws IOException {
    PoolConfigException e = refused("backends:\n  - {addr: [a], arch: x86_64}\n");

    assertThat(problems(e))
        .containsExactly("backends.yaml:2:12: backends[0].addr: must be a string, was a sequence");
  }

  @Test
  void nullAndNestedLabelValuesAreRefused() throws IOException {
    PoolConfigException e =
        refused(
            ONE_BACKEND
                + """
                    labels:
                      tier: ~
                      zone: {a: b}
                      list: [a]
                """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:5:13: backends[0].labels.tier: must be a string, was null",
            "backends.yaml:6:13: backends[0].labels.zone: must be a string, was a mapping",
            "backends.yaml:7:13: backends[0].labels.list: must be a string, was a sequence");
  }

  @Test
  void labelsMustBeAMapping() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "    labels: [tier=standard]\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:13: backends[0].labels: must be a mapping, was a sequence");
  }

  @Test
  void blankLabelKeyRefusedByBackendIsLocatedAtTheKey() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "    labels: {\"\": x}\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:14: backends[0].labels.: label key must not be blank, was \"\"");
  }

  @Test
  void duplicateAddrIsRefusedAtTheSecond() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
              - addr: tcp://x:1234
                arch: x86_64
              - addr: tcp://b:1234
                arch: x86_64
              - addr: tcp://x:1234
                arch: aarch64
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:8:11: backends[3].addr: duplicate addr tcp://x:1234 (first at line 4)");
  }

  @Test
  void duplicateKeyIsRefusedAtTheSecond() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "    maxJobs: 2\n    maxJobs: 3\n");

    assertThat(problems(e))
        .containsExactly("backends.yaml:5:5: backends[0].maxJobs: duplicate key maxJobs");
  }

  @Test
  void unknownKeySuggestsTheKeyMeantOrListsTheKnownOnes() throws IOException {
    PoolConfigException e =
        refused(
            ONE_BACKEND
                + """
                    maxjobs: 2
                    colour: red
                recoverTimeout: 5s
                """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:5: backends[0].maxjobs: unknown key, did you mean maxJobs?",
            "backends.yaml:5:5: backends[0].colour: unknown key, expected one of addr, arch,"
                + " maxJobs, labels, weight, backup, healthCheck, circuitBreaker, policy, rateLimit, adaptiveLimit,"
                + " allowEmulated, tls",
            "backends.yaml:6:1: recoverTimeout: unknown key, did you mean recoveryTimeout?");
  }

  @Test
  void bareNumberDurationIsRefusedWithAHint() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "recoveryTimeout: 30\nacquireTimeout: \"30\"\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:18: recoveryTimeout: must be a duration such as 30s, was 30",
            "backends.yaml:5:17: acquireTimeout: missing unit in duration \"30\": use a duration"
                + " such as 30s");
  }

  @Test
  void badDurationNamesTheValue() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "recoveryTimeout: 30x\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:18: recoveryTimeout: unknown unit \"x\" in duration \"30x\"");
  }

  @Test
  void durationsMustNotBeNegativeAndRecoveryTimeoutMustBePositive() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "recoveryTimeout: 0s\nacquireTimeout: -5s\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:18: recoveryTimeout: must be > 0, was 0s",
            "backends.yaml:5:17: acquireTimeout: must be >= 0, was -5s");
  }

  @Test
  void severalProblemsAreReportedTogetherInSourceOrder() throws IOException {
    PoolConfigException e =
        refused(
            """
            recoveryTimeout: 30
            backends:
              - addr: tcp://a:1234
                maxJobs: -1
              - addr: tcp://a:1234
                arch: x86_64
                labelz: {}
            defaultMaxJobs: many
            """);

    List<String> expected =
        List.of(
            "backends.yaml:1:18: recoveryTimeout: must be a duration such as 30s, was 30",
            "backends.yaml:3:5: backends[0]: arch is required",
            "backends.yaml:4:14: backends[0].maxJobs: must be >= 0, was -1",
            "backends.yaml:5:11: backends[1].addr: duplicate addr tcp://a:1234 (first at line 3)",
            "backends.yaml:7:5: backends[1].labelz: unknown key, did you mean labels?",
            "backends.yaml:8:17: defaultMaxJobs: must be an integer, was \"many\"");
    assertThat(problems(e)).containsExactlyElementsOf(expected);
    assertThat(e.line()).isEqualTo(1);
    assertThat(e.column()).isEqualTo(18);
    assertThat(String.valueOf(e.getMessage()).replace(prefix(), ""))
        .isEqualTo(String.join("\n", expected));
  }

  @Test
  void aHostileNumberOfProblemsIsCut() throws IOException {
    PoolConfigException e = refused("backends:\n" + "  - {}\n".repeat(150));

    assertThat(e.problems()).hasSize(ConfigProblems.MAX_REPORTED + 1);
    assertThat(problems(e).get(ConfigProblems.MAX_REPORTED))
        .isEqualTo("backends.yaml: 200 more problems not shown");
  }

  @Test
  void rootMustBeAMapping() throws IOException {
    assertThat(problems(refused("- a\n- b\n")))
        .containsExactly("backends.yaml:1:1: (root): must be a mapping, was a sequence");
  }

  @Test
  void keysMustBeStrings() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "? [a]\n: 1\n")))
        .containsExactly("backends.yaml:4:3: (root): keys must be strings, was a sequence");
  }

  @Test
  void backendsMustBeASequence() throws IOException {
    assertThat(problems(refused("backends: {addr: tcp://a:1, arch: x86_64}\n")))
        .containsExactly(
            "backends.yaml:1:11: backends: must be a sequence of backends, was a mapping");
  }

  @Test
  void eachBackendMustBeAMapping() throws IOException {
    assertThat(problems(refused("backends:\n  - tcp://a:1234\n")))
        .containsExactly("backends.yaml:2:5: backends[0]: must be a mapping, was \"tcp://a:1234\"");
  }

  @Test
  void emptyFileOrOnlyCommentsNeedsABackend() throws IOException {
    assertThat(problems(refused("")))
        .containsExactly("backends.yaml:1:1: backends: at least one backend is required");
    assertThat(problems(refused("# nothing yet\n\n# still nothing\n")))
        .containsExactly("backends.yaml:1:1: backends: at least one backend is required");
  }

  @Test
  void missingNullOrEmptyBackendsNeedsABackend() throws IOException {
    assertThat(problems(refused("defaultMaxJobs: 2\n")))
        .containsExactly("backends.yaml:1:1: backends: at least one backend is required");
    assertThat(problems(refused("backends:\n")))
        .containsExactly("backends.yaml:1:10: backends: at least one backend is required");
    assertThat(problems(refused("backends: []\n")))
        .containsExactly("backends.yaml:1:11: backends: at least one backend is required");
  }

  @Test
  void brokenYamlIsOneProblemAtTheParsersMark() throws IOException {
    PoolConfigException e = refused("backends:\n  - addr: x\n   arch: y\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:3:4: invalid YAML: expected <block end>, but found '<block mapping"
                + " start>'");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(4);
  }

  @Test
  void secondDocumentIsRefused() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "---\n" + ONE_BACKEND)))
        .containsExactly(
            "backends.yaml:4:1: invalid YAML: expected a single document in the stream, but found"
                + " another document");
  }

  @Test
  void deeplyNestedYamlIsRefused() throws IOException {
    PoolConfigException e = refused("backends: " + "[".repeat(200_000));

    assertThat(e.problems()).singleElement().asString().contains("invalid YAML");
  }

  @Test
  void missingFileIsRefusedWithoutALocation() {
    Path missing = dir.resolve("absent.yaml");

    PoolConfigException e =
        catchThrowableOfType(PoolConfigException.class, () -> YamlPoolConfigLoader.load(missing));

    assertThat(e.problems()).containsExactly(missing + ": cannot read: no such file");
    assertThat(e.line()).isZero();
    assertThat(e.column()).isZero();
  }

  @Test
  void directoryIsRefused() {
    PoolConfigException e =
        catchThrowableOfType(PoolConfigException.class, () -> YamlPoolConfigLoader.load(dir));

    assertThat(e.problems()).containsExactly(dir + ": cannot read: is a directory");
  }

  @Test
  void invalidUtf8IsRefused() throws IOException {
    Path file = dir.resolve("backends.yaml");
    Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28, '\n'});

    PoolConfigException e =
        catchThrowableOfType(PoolConfigException.class, () -> YamlPoolConfigLoader.load(file));

    assertThat(problems(e)).containsExactly("backends.yaml: cannot read: not valid UTF-8");
  }

  @Test
  void controlCharacterIsRefused() throws IOException {
    assertThat(problems(refused("a: \u0001\n")))
        .containsExactly(
            "backends.yaml: invalid YAML: special characters are not allowed, found U+0001 at"
                + " offset 3");
  }

  @Test
  void fileLargerThanTheLimitIsRefused() throws IOException {
    String line = "# a comment line, repeated until the file is too large\n";
    String huge = ONE_BACKEND + line.repeat(YamlPoolConfigLoader.MAX_BYTES / line.length());

    assertThat(problems(refused(huge)))
        .containsExactly("backends.yaml: cannot read: larger than the 4 MiB limit");
  }

  @Test
  void singleEndlessTokenIsCutOffAtTheLimit() throws IOException {
    // The engine checks its own limit between tokens only, so this one needs the loader's.
    String huge = ONE_BACKEND + "# " + "x".repeat(YamlPoolConfigLoader.MAX_BYTES) + "\n";

    assertThat(problems(refused(huge)))
        .containsExactly("backends.yaml: cannot read: larger than the 4 MiB limit");
  }

  @Test
  void aliasBombIsRefusedQuickly() throws IOException {
    StringBuilder bomb = new StringBuilder("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (char name = 'b', previous = 'a'; name <= 'j'; previous = name, name++) {
      bomb.append(name).append(": &").append(name).append(" [");
      bomb.append(("*" + previous + ", ").repeat(8)).append('*').append(previous).append("]\n");
    }
    Path file = write(bomb.toString());

    PoolConfigException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () ->
                catchThrowableOfType(
                    PoolConfigException.class, () -> YamlPoolConfigLoader.load(file)));

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml: invalid YAML: more than 50 aliases of mappings or sequences, refused"
                + " as a possible alias bomb");
  }

  @Test
  void selfContainingBackendIsRefusedWithoutLooping() throws IOException {
    PoolConfigException e =
        refused("backends:\n  - &b {addr: tcp://a:1, arch: x86_64, labels: *b}\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:2:5: backends[0].labels.labels: must be a string, was a mapping");
  }

  @Test
  void recursiveKeyIsRefusedWithoutLooping() throws IOException {
    assertThat(problems(refused("&a {*a : 1}\n")))
        .containsExactly(
            "backends.yaml:1:1: (root): keys must be strings, was a mapping",
            "backends.yaml:1:1: backends: at least one backend is required");
  }

  @Test
  void fileIsNamedAsGiven() throws IOException {
    Path file = write("backends: []\n");

    PoolConfigException e =
        catchThrowableOfType(PoolConfigException.class, () -> YamlPoolConfigLoader.load(file));

    assertThat(e.problems()).singleElement().asString().startsWith(file.toString() + ":1:11: ");
  }

  @Test
  void everyRoutingOptionIsRead() throws IOException {
    PoolSettings settings =
        YamlPoolConfigLoader.load(
            write(
                """
                backends:
                  - addr: tcp://a:1234
                    arch: x86_64
                    weight: 3
                  - addr: tcp://b:1234
                    arch: x86_64
                strategy:
                  name: weighted-least-request
                  bias: 0.5
                affinity:
                  loadFactor: 1.5
                slowStart: 30s
                """));

    assertThat(settings.backends()).extracting(Backend::weight).containsExactly(3, 1);
    assertThat(settings.strategy())
        .isEqualTo(
            new StrategySettings("weighted-least-request", 0.5, StrategySettings.DEFAULT_DECAY));
    assertThat(settings.affinityLoadFactor()).isEqualTo(1.5);
    assertThat(settings.slowStart()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void everyStrategyNameIsAcceptedWithDefaultSettings() throws IOException {
    for (String name : StrategySettings.NAMES) {
      PoolSettings settings = YamlPoolConfigLoader.load(write(ONE_BACKEND + "strategy: " + name));

      assertThat(settings.strategy()).isEqualTo(StrategySettings.of(name));
    }
  }

  @Test
  void strategyMappingFormTakesTheNameAloneOrWithItsSettings() throws IOException {
    assertThat(strategyOf("strategy: {name: round-robin}"))
        .isEqualTo(StrategySettings.of("round-robin"));
    assertThat(strategyOf("strategy: {name: weighted-least-request, bias: 2}"))
        .isEqualTo(new StrategySettings("weighted-least-request", 2.0, Duration.ofSeconds(10)));
    assertThat(strategyOf("strategy: {name: weighted-least-request, bias: 0}").bias()).isZero();
    assertThat(strategyOf("strategy: {name: peak-ewma, decay: 250ms}"))
        .isEqualTo(new StrategySettings("peak-ewma", 1.0, Duration.ofMillis(250)));
  }

  @Test
  void unknownStrategySuggestsTheNameMeantOrListsTheNames() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "strategy: round_robin\n")))
        .containsExactly(
            "backends.yaml:4:11: strategy: unknown strategy \"round_robin\", did you mean"
                + " round-robin?");
    // Three edits from power-of-two: too far for a suggestion, so every name is listed.
    assertThat(problems(refused(ONE_BACKEND + "strategy: power-of-2\n")))
        .containsExactly(
            "backends.yaml:4:11: strategy: unknown strategy \"power-of-2\", expected one of"
                + " least-loaded, round-robin, random, weighted-random, power-of-two,"
                + " weighted-least-request, peak-ewma");
    assertThat(problems(refused(ONE_BACKEND + "strategy:\n  name: Peak-EWMA\n")))
        .containsExactly(
            "backends.yaml:5:9: strategy.name: unknown strategy \"Peak-EWMA\", did you mean"
                + " peak-ewma?");
  }

  @Test
  void strategyMustBeANameOrAMappingWithAName() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "strategy:\n")))
        .containsExactly(
            "backends.yaml:4:10: strategy: must be a strategy name or a mapping, was null");
    assertThat(problems(refused(ONE_BACKEND + "strategy: [random]\n")))
        .containsExactly(
            "backends.yaml:4:11: strategy: must be a strategy name or a mapping, was a sequence");
    assertThat(problems(refused(ONE_BACKEND + "strategy:\n  bias: 2\n")))
        .containsExactly("backends.yaml:5:3: strategy: name is required");
    assertThat(problems(refused(ONE_BACKEND + "strategy: {name: }\n")))
        .containsExactly("backends.yaml:4:17: strategy.name: name is required");
    assertThat(problems(refused(ONE_BACKEND + "strategy: {name: [random]}\n")))
        .containsExactly("backends.yaml:4:18: strategy.name: must be a string, was a sequence");
    assertThat(problems(refused(ONE_BACKEND + "strategy: {name: peak-ewma, deacy: 5s}\n")))
        .containsExactly("backends.yaml:4:29: strategy.deacy: unknown key, did you mean decay?");
  }

  @Test
  void strategySettingsApplyOnlyToTheirStrategy() throws IOException {
    PoolConfigException e =
        refused(
            ONE_BACKEND
                + """
                strategy:
                  name: round-robin
                  bias: 2
                  decay: 5s
                """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:6:9: strategy.bias: applies only to weighted-least-request",
            "backends.yaml:7:10: strategy.decay: applies only to peak-ewma");
  }

  @Test
  void strategySettingsAreCheckedWhenTheNameIsUnknown() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "strategy: {name: ewma, decay: 0s}\n");

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:18: strategy.name: unknown strategy \"ewma\", expected one of"
                + " least-loaded, round-robin, random, weighted-random, power-of-two,"
                + " weighted-least-request, peak-ewma",
            "backends.yaml:4:31: strategy.decay: must be > 0, was 0s");
  }

  @Test
  void biasMustBeAFiniteNumberOfAtLeastZero() throws IOException {
    assertThat(biasProblem("-0.5")).isEqualTo("must be >= 0, was -0.5");
    assertThat(biasProblem("\"1.5\"")).isEqualTo("must be a number, was \"1.5\"");
    assertThat(biasProblem("high")).isEqualTo("must be a number, was \"high\"");
    assertThat(biasProblem("true")).isEqualTo("must be a number, was true");
    assertThat(biasProblem("[1]")).isEqualTo("must be a number, was a sequence");
    assertThat(biasProblem("~")).isEqualTo("must be a number, was null");
    assertThat(biasProblem(".nan")).isEqualTo("must be a number, was .nan");
    assertThat(biasProblem(".inf")).isEqualTo("must be finite, was .inf");
    assertThat(biasProblem("-.inf")).isEqualTo("must be >= 0, was -.inf");
    assertThat(biasProblem("1e400")).isEqualTo("must be finite, was 1e400");
    assertThat(biasProblem("!!float abc")).isEqualTo("must be a number, was abc");
  }

  @Test
  void decayMustBeAPositiveDuration() throws IOException {
    PoolConfigException zero = refused(ONE_BACKEND + "strategy:\n  name: peak-ewma\n  decay: 0s\n");
    assertThat(problems(zero))
        .containsExactly("backends.yaml:6:10: strategy.decay: must be > 0, was 0s");
    assertThat(zero.line()).isEqualTo(6);
    assertThat(zero.column()).isEqualTo(10);

    assertThat(problems(refused(ONE_BACKEND + "strategy: {name: peak-ewma, decay: -1m}\n")))
        .containsExactly("backends.yaml:4:36: strategy.decay: must be > 0, was -1m0s");
    assertThat(problems(refused(ONE_BACKEND + "strategy: {name: peak-ewma, decay: 10}\n")))
        .containsExactly(
            "backends.yaml:4:36: strategy.decay: must be a duration such as 30s, was 10");
  }

  @Test
  void affinityLoadFactorTakesIntegersAndFloatsFromOne() throws IOException {
    assertThat(loadFactorOf("affinity:\n  loadFactor: 2\n")).isEqualTo(2.0);
    assertThat(loadFactorOf("affinity: {loadFactor: 1}\n")).isEqualTo(1.0);
    assertThat(loadFactorOf("affinity: {loadFactor: 1.75}\n")).isEqualTo(1.75);
    assertThat(loadFactorOf("affinity: {loadFactor: 3e0}\n")).isEqualTo(3.0);
    assertThat(loadFactorOf("affinity: {loadFactor: +2.}\n")).isEqualTo(2.0);
    assertThat(loadFactorOf("affinity: {loadFactor: 0x10}\n")).isEqualTo(16.0);
    assertThat(loadFactorOf("affinity: {loadFactor: 0o10}\n")).isEqualTo(8.0);
    assertThat(loadFactorOf("affinity: {}\n")).isEqualTo(1.25);
  }

  @Test
  void affinityLoadFactorBelowOneOrNotANumberIsRefused() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "affinity:\n  loadFactor: 0.5\n");
    assertThat(problems(e))
        .containsExactly("backends.yaml:5:15: affinity.loadFactor: must be >= 1, was 0.5");
    assertThat(e.line()).isEqualTo(5);
    assertThat(e.column()).isEqualTo(15);

    assertThat(problems(refused(ONE_BACKEND + "affinity: {loadFactor: \"1.5\"}\n")))
        .containsExactly("backends.yaml:4:24: affinity.loadFactor: must be a number, was \"1.5\"");
    assertThat(problems(refused(ONE_BACKEND + "affinity: {loadFactor: .Inf}\n")))
        .containsExactly("backends.yaml:4:24: affinity.loadFactor: must be finite, was .Inf");
    assertThat(problems(refused(ONE_BACKEND + "affinity: {loadFactor: 0}\n")))
        .containsExactly("backends.yaml:4:24: affinity.loadFactor: must be >= 1, was 0");
  }

  @Test
  void affinityMustBeAMappingOfKnownKeys() throws IOException {
    assertThat(problems(refused(ONE_BACKEND + "affinity: 1.5\n")))
        .containsExactly("backends.yaml:4:11: affinity: must be a mapping, was 1.5");
    assertThat(problems(refused(ONE_BACKEND + "affinity:\n  gamma: 2\n  loadfactor: 2\n")))
        .containsExactly(
            "backends.yaml:5:3: affinity.gamma: unknown key, expected one of loadFactor",
            "backends.yaml:6:3: affinity.loadfactor: unknown key, did you mean loadFactor?");
  }

  @Test
  void hugeNumbersAreRefusedQuicklyAndShownCut() throws IOException {
    String digits = "1" + "0".repeat(100_000);

    List<String> decimal =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () -> problems(refused(ONE_BACKEND + "affinity: {loadFactor: " + digits + "}\n")));
    List<String> hex =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () -> problems(refused(ONE_BACKEND + "affinity: {loadFactor: 0x" + digits + "}\n")));

    assertThat(decimal)
        .containsExactly(
            "backends.yaml:4:24: affinity.loadFactor: must be finite, was "
                + digits.substring(0, 60)
                + "... ("
                + digits.length()
                + " characters)");
    assertThat(hex)
        .containsExactly(
            "backends.yaml:4:24: affinity.loadFactor: must be finite, was 0x"
                + digits.substring(0, 58)
                + "... ("
                + (digits.length() + 2)
                + " characters)");
  }

  @Test
  void slowStartTakesZeroToOneHour() throws IOException {
    assertThat(YamlPoolConfigLoader.load(write(ONE_BACKEND + "slowStart: 0s\n")).slowStart())
        .isZero();
    assertThat(YamlPoolConfigLoader.load(write(ONE_BACKEND + "slowStart: 1m30s\n")).slowStart())
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(YamlPoolConfigLoader.load(write(ONE_BACKEND + "slowStart: 1h\n")).slowStart())
        .isEqualTo(PoolSettings.MAX_SLOW_START);
  }

  @Test
  void slowStartOutsideZeroToOneHourIsRefused() throws IOException {
    PoolConfigException e = refused(ONE_BACKEND + "slowStart: 2h\n");
    assertThat(problems(e))
        .containsExactly("backends.yaml:4:12: slowStart: must be <= 1h0m0s, was 2h0m0s");
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.column()).isEqualTo(12);

    assertThat(problems(refused(ONE_BACKEND + "slowStart: 1h0m0.001s\n")))
        .containsExactly("backends.yaml:4:12: slowStart: must be <= 1h0m0s, was 1h0m0.001s");
    assertThat(problems(refused(ONE_BACKEND + "slowStart: -5s\n")))
        .containsExactly("backends.yaml:4:12: slowStart: must be >= 0, was -5s");
    assertThat(problems(refused(ONE_BACKEND + "slowStart: 30\n")))
        .containsExactly("backends.yaml:4:12: slowStart: must be a duration such as 30s, was 30");
  }

  @Test
  void weightTakesIntegersFromOneToTheMaximum() throws IOException {
    PoolSettings settings =
        YamlPoolConfigLoader.load(
            write(
                """
                backends:
                  - {addr: tcp://a:1, arch: x86_64, weight: 1}
                  - {addr: tcp://b:1, arch: x86_64, weight: 1000000}
                  - {addr: tcp://c:1, arch: x86_64, weight: 0x10}
                """));

    assertThat(settings.backends()).extracting(Backend::weight).containsExactly(1, 1_000_000, 16);
  }

  @Test
  void weightOutsideOneToTheMaximumOrNotAnIntegerIsRefused() throws IOException {
    PoolConfigException e =
        refused(
            """
            backends:
              - addr: tcp://a:1
                arch: x86_64
                weight: 0
              - {addr: tcp://b:1, arch: x86_64, weight: -2}
              - {addr: tcp://c:1, arch: x86_64, weight: 1000001}
              - {addr: tcp://d:1, arch: x86_64, weight: 1.5}
              - {addr: tcp://e:1, arch: x86_64, weight: "3"}
              - {addr: tcp://f:1, arch: x86_64, weight: -0}
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:4:13: backends[0].weight: must be >= 1, was 0",
            "backends.yaml:5:45: backends[1].weight: must be >= 1, was -2",
            "backends.yaml:6:45: backends[2].weight: must be <= 1000000, was 1000001",
            "backends.yaml:7:45: backends[3].weight: must be an integer, was 1.5",
            "backends.yaml:8:45: backends[4].weight: must be an integer, was \"3\"",
            "backends.yaml:9:45: backends[5].weight: must be >= 1, was -0");
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.column()).isEqualTo(13);
  }

  @Test
  void routingProblemsAreReportedTogetherWithTheOthers() throws IOException {
    PoolConfigException e =
        refused(
            """
            strategy: {name: random, bias: 2}
            backends:
              - {addr: tcp://a:1, arch: x86_64, weight: 0, maxJobs: -1}
            affinity: {loadFactor: 0.9}
            slowStart: 2h
            acquireTimeout: -1s
            """);

    assertThat(problems(e))
        .containsExactly(
            "backends.yaml:1:32: strategy.bias: applies only to weighted-least-request",
            "backends.yaml:3:45: backends[0].weight: must be >= 1, was 0",
            "backends.yaml:3:57: backends[0].maxJobs: must be >= 0, was -1",
            "backends.yaml:4:24: affinity.loadFactor: must be >= 1, was 0.9",
            "backends.yaml:5:12: slowStart: must be <= 1h0m0s, was 2h0m0s",
            "backends.yaml:6:17: acquireTimeout: must be >= 0, was -1s");
  }

  @Test
  void failOpenIsOnUnlessSetToFalse() throws Exception {
    assertThat(YamlPoolConfigLoader.load(write(ONE_BACKEND)).failOpen()).isTrue();
    assertThat(YamlPoolConfigLoader.load(write(ONE_BACKEND + "failOpen: false\n")).failOpen())
        .isFalse();
    assertThat(problems(refused(ONE_BACKEND + "failOpen: no\n")))
        .singleElement()
        .asString()
        .endsWith("failOpen: must be true or false, was \"no\"");
  }

  private StrategySettings strategyOf(String yaml) throws IOException {
    return YamlPoolConfigLoader.load(write(ONE_BACKEND + yaml + "\n")).strategy();
  }

  private double loadFactorOf(String yaml) throws IOException {
    return YamlPoolConfigLoader.load(write(ONE_BACKEND + yaml)).affinityLoadFactor();
  }

  /** The one problem with {@code bias}, always at line 6, column 9, without its location. */
  private String biasProblem(String value) throws IOException {
    String yaml = "strategy:\n  name: weighted-least-request\n  bias: " + value + "\n";
    List<String> problems = problems(refused(ONE_BACKEND + yaml));
    assertThat(problems)
        .singleElement()
        .asString()
        .startsWith("backends.yaml:6:9: strategy.bias: ");
    return problems.get(0).substring("backends.yaml:6:9: strategy.bias: ".length());
  }

  private Path write(String yaml) throws IOException {
    return new ConfigFiles(dir).write(yaml);
  }

  private PoolConfigException refused(String yaml) throws IOException {
    return new ConfigFiles(dir).refused(yaml);
  }

  private List<String> problems(PoolConfigException e) {
    return new ConfigFiles(dir).problems(e);
  }

  private String prefix() {
    return dir + File.separator;
  }
}
