package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.melange.pool.BackendPool;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.core.config.TlsReader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile and clumsy values in {@code backends.yaml}, through {@link BackendPool#fromYaml}: each is
 * refused where it is written ({@code file:line:column: path: problem}), shown escaped, and no pool
 * is made.
 */
class YamlInputRefusalsTest {
  private static final String EXPECTED_FORMS =
      " (expected host:port, tcp://, unix://, http://, https://, ssh://, docker-container://,"
          + " kube-pod://, podman-container:// or nerdctl-container://)";

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "tcp:// | addr \"tcp://\": no host",
        "tcp://:0 | addr \"tcp://:0\": no host",
        "tcp://host:99999 | addr \"tcp://host:99999\": port must be from 1 to 65535, was \"99999\"",
        "unix://relative.sock | addr \"unix://relative.sock\": a unix socket needs an absolute path"
            + " (unix:///path)",
        "ftp://x | addr \"ftp://x\": unknown scheme ftp://" + EXPECTED_FORMS,
        "`\"tcp://build kit:1234\"` | addr \"tcp://build kit:1234\": host \"build kit\" is not a DNS"
            + " name (labels of letters, digits, '-' and '_'), an IPv4 address or an IPv6 address"
            + " in brackets",
      })
  void malformedAddressesAreRefusedWhereTheyAreWritten(String addr, String problem)
      throws IOException {
    assertThat(problems("backends:\n  - addr: " + addr + "\n    arch: x86_64\n"))
        .containsExactly("backends.yaml:2:11: backends[0].addr: " + problem);
  }

  @Test
  void aHugeAddressIsRefusedShownCut() throws IOException {
    String addr = "tcp://" + "a".repeat(100_000) + ":1234";

    List<String> problems = problems("backends:\n  - addr: " + addr + "\n    arch: x86_64\n");

    assertThat(problems)
        .singleElement()
        .asString()
        .startsWith(
            "backends.yaml:2:11: backends[0].addr: addr must be at most 512 characters, was"
                + " 100011: \"tcp://aaaa")
        .endsWith("... (100011 characters)\"")
        .hasSizeLessThan(700);
  }

  @Test
  void controlCharactersInAddrArchAndLabelsAreRefusedAndShownEscaped() throws IOException {
    assertThat(
            problems(
                """
                backends:
                  - addr: "tcp://a:1\\nINFO removed backend tcp://b:1"
                    arch: "x86_64\\e[2J"
                    labels:
                      "ti\\x00er": high
                      zone: "a\\u202Eb"
                """))
        .containsExactly(
            "backends.yaml:2:11: backends[0].addr: addr must not contain control characters, was"
                + " \"tcp://a:1\\nINFO removed backend tcp://b:1\"",
            "backends.yaml:3:11: backends[0].arch: arch must not contain control characters, was"
                + " \"x86_64\\u001b[2J\"",
            "backends.yaml:5:7: backends[0].labels.ti\\u0000er: label key must not contain control"
                + " characters, was \"ti\\u0000er\"",
            "backends.yaml:6:13: backends[0].labels.zone: label value of \"zone\" must not contain"
                + " control characters, was \"a\\u202eb\"");
  }

  @Test
  void anArchWithWhiteSpaceAroundItIsRefused() throws IOException {
    assertThat(problems("backends:\n  - addr: tcp://a:1\n    arch: \" x86_64 \"\n"))
        .containsExactly(
            "backends.yaml:3:11: backends[0].arch: arch must not start or end with white space, was"
                + " \" x86_64 \"");
  }

  @Test
  void labelsAreBoundedInNumberAndLength() throws IOException {
    StringBuilder many = new StringBuilder("backends:\n  - addr: tcp://a:1\n    arch: x86_64\n");
    many.append("    labels:\n");
    for (int i = 0; i < 65; i++) {
      many.append("      k").append(i).append(": v\n");
    }
    assertThat(problems(many.toString()))
        .containsExactly(
            "backends.yaml:5:7: backends[0].labels: labels must be at most 64, was 65");

    String longKey = "k".repeat(129);
    String longValue = "v".repeat(257);
    assertThat(
            problems(
                "backends:\n  - addr: tcp://a:1\n    arch: x86_64\n    labels:\n      "
                    + longKey
                    + ": v\n      tier: "
                    + longValue
                    + "\n"))
        .containsExactly(
            "backends.yaml:5:7: backends[0].labels."
                + "k".repeat(60)
                + "... (129 characters): label key must be at most 128 characters, was 129: \""
                + longKey
                + "\"",
            "backends.yaml:6:13: backends[0].labels.tier: label value of \"tier\" must be at most 256"
                + " characters, was 257: \""
                + longValue
                + "\"");
  }

  @Test
  void oneDaemonSpelledTwiceIsRefused() throws IOException {
    assertThat(
            problems(
                """
                backends:
                  - addr: tcp://x1:1234
                    arch: x86_64
                  - addr: "tcp://x1:1234 "
                    arch: x86_64
                  - addr: TCP://X1:1234
                    arch: x86_64
                """))
        .containsExactly(
            "backends.yaml:4:11: backends[1].addr: addr must not start or end with white space, was"
                + " \"tcp://x1:1234 \"",
            "backends.yaml:6:11: backends[2].addr: duplicate addr TCP://X1:1234: the same backend as"
                + " tcp://x1:1234 at line 2 (scheme and host compare regardless of case)");
  }

  @Test
  void aTlsPathWithNulIsALocatedErrorNotAnInvalidPathException() throws IOException {
    assertThat(
            problems(
                "backends:\n  - addr: tcp://a:1\n    arch: x86_64\n    tls: {ca: \"a\\0b\"}\n"))
        .containsExactly(
            "backends.yaml:4:15: backends[0].tls.ca: must not contain control characters, was"
                + " \"a\\u0000b\"");
  }

  @Test
  void aTlsKeyThatIsADeviceIsRefusedAsSuchNotCalledMissing() throws IOException {
    assertThat(Files.exists(Path.of("/dev/zero"))).as("needs /dev/zero").isTrue();
    Files.writeString(dir.resolve("client.pem"), "-----BEGIN CERTIFICATE-----\n");

    assertThat(
            problems(
                """
                backends:
                  - addr: tcp://a:1
                    arch: x86_64
                    tls: {cert: client.pem, key: /dev/zero}
                """))
        .containsExactly(
            "backends.yaml:4:34: backends[0].tls.key: /dev/zero is not a regular file (a"
                + " directory, a device or a FIFO)");
  }

  @Test
  void aTlsFileThatIsAFifoIsRefusedWithoutBlocking() throws Exception {
    Path fifo = dir.resolve("ca.pem");
    assertThat(mkfifo(fifo)).as("needs mkfifo").isTrue();

    List<String> problems =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () ->
                problems(
                    "backends:\n  - addr: tcp://a:1\n    arch: x86_64\n    tls: {ca: ca.pem}\n"));

    assertThat(problems)
        .containsExactly(
            "backends.yaml:4:15: backends[0].tls.ca: ca.pem is not a regular file (a directory, a"
                + " device or a FIFO)");
  }

  @Test
  void aTlsFileLargerThanAnyPemFileIsRefused() throws IOException {
    try (var out = Files.newOutputStream(dir.resolve("ca.pem"))) {
      out.write(new byte[(int) TlsReader.MAX_FILE_BYTES + 1]);
    }

    assertThat(
            problems("backends:\n  - addr: tcp://a:1\n    arch: x86_64\n    tls: {ca: ca.pem}\n"))
        .containsExactly(
            "backends.yaml:4:15: backends[0].tls.ca: ca.pem is 1048577 bytes, more than a PEM"
                + " file's 1 MiB limit");
  }

  @Test
  void yaml11BooleansUnderAnExplicitTagAreRefusedNotReadAsFalse() throws IOException {
    assertThat(
            problems(
                """
                backends:
                  - addr: tcp://a:1
                    arch: x86_64
                    backup: !!bool yes
                  - addr: tcp://b:1
                    arch: x86_64
                    allowEmulated: !!bool on
                failOpen: !!bool off
                """))
        .containsExactly(
            "backends.yaml:4:13: backends[0].backup: must be true or false, was yes",
            "backends.yaml:7:20: backends[1].allowEmulated: must be true or false, was on",
            "backends.yaml:8:11: failOpen: must be true or false, was off");
  }

  @Test
  void anExplicitlyTaggedRealBooleanIsTaken() throws IOException {
    Path file =
        write("backends:\n  - addr: tcp://a:1\n    arch: x86_64\n    backup: !!bool True\n");

    try (BackendPool pool = BackendPool.fromYaml(file)) {
      assertThat(pool.backends().get(0).backup()).isTrue();
    }
  }

  @Test
  void healthCheckIntervalAndTimeoutHaveLowerBounds() throws IOException {
    assertThat(
            problems(
                """
                backends:
                  - addr: tcp://a:1
                    arch: x86_64
                    healthCheck: {timeout: 9ms}
                healthCheck:
                  interval: 1ns
                  timeout: 1ns
                """))
        .containsExactly(
            "backends.yaml:4:28: backends[0].healthCheck.timeout: must be >= 10ms, was 9ms",
            "backends.yaml:6:13: healthCheck.interval: must be >= 100ms, was 1ns",
            "backends.yaml:7:12: healthCheck.timeout: must be >= 10ms, was 1ns");
    assertThat(
            problems(
                """
                backends:
                  - {addr: tcp://a:1, arch: x86_64}
                healthCheck: {interval: 2562047h, timeout: 25h}
                """))
        .containsExactly(
            "backends.yaml:3:25: healthCheck.interval: must be <= 24h0m0s, was 2562047h0m0s",
            "backends.yaml:3:44: healthCheck.timeout: must be <= 24h0m0s, was 25h0m0s");
  }

  @Test
  void aBuildKitCheckWithoutTheBuildKitArtifactNamesTheArtifact() throws IOException {
    assertThat(
            problems(
                "backends:\n  - addr: tcp://a:1234\n    arch: x86_64\nhealthCheck: {type: buildkit}\n"))
        .containsExactly(
            "backends.yaml:4:21: healthCheck.type: unknown health check type \"buildkit\": it comes"
                + " with dev.melange:melange-pool-buildkit, which is not on the class path; add"
                + " that artifact (known here: tcp, http)");
  }

  @Test
  void anUnknownKeyIsShownEscaped() throws IOException {
    assertThat(problems("backends:\n  - addr: tcp://a:1\n    arch: x86_64\n\"arch\\e[8m\": x\n"))
        .singleElement()
        .asString()
        .startsWith("backends.yaml:4:1: arch\\u001b[8m: unknown key, ");
  }

  private Path write(String yaml) throws IOException {
    return Files.writeString(dir.resolve("backends.yaml"), yaml, StandardCharsets.UTF_8);
  }

  /** What {@link BackendPool#fromYaml} refuses in {@code yaml}, the directory cut. */
  private List<String> problems(String yaml) throws IOException {
    Path file = write(yaml);
    PoolConfigException e =
        catchThrowableOfType(PoolConfigException.class, () -> BackendPool.fromYaml(file).close());
    assertThat(e).as("a PoolConfigException for:%n%s", yaml).isNotNull();
    return e.problems().stream().map(p -> p.replace(dir + File.separator, "")).toList();
  }

  private static boolean mkfifo(Path path) throws InterruptedException {
    try {
      Process process = new ProcessBuilder("mkfifo", path.toString()).start();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
