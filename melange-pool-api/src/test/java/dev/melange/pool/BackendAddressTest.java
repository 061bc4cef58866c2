package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What a backend's address may be, checked for every Backend however it is made. */
class BackendAddressTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tcp://buildkit-x86:1234",
        "tcp://a:1",
        "tcp://a",
        "tcp://127.0.0.1:1234",
        "tcp://0.0.0.0:65535",
        "tcp://[::1]:1234",
        "tcp://[fe80::1%eth0]:1234",
        "tcp://[2001:db8::8a2e:370:7334]:1",
        "tcp://[1:2:3:4:5:6:7:8]:1",
        "tcp://buildkit_1.ci.example.com:1234",
        "unix:///run/buildkit/buildkitd.sock",
        "unix:///tmp/my dir/b.sock",
        "http://127.0.0.1:8080",
        "http://h/some/path?verbose=1",
        "https://h",
        "https://user:secret@h:8443/x",
        "ssh://builder@buildhost",
        "ssh://builder@buildhost:2222/run/buildkit/buildkitd.sock",
        "docker-container://buildkitd",
        "docker-container://buildkitd?context=remote",
        "podman-container://buildkitd",
        "nerdctl-container://buildkitd?namespace=ci",
        "kube-pod://buildkitd-0?namespace=ci&context=arn:aws:eks:eu-west-1:1:cluster/ci",
      })
  void everyFormMelangeBuildKitAndTheProbesTakeIsAccepted(String addr) {
    assertThat(Backend.of(addr, "x86_64").addr()).isEqualTo(addr);
    assertThat(Backend.canonicalAddr(addr)).isEqualTo(addr);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "TCP://X1:1234 | tcp://x1:1234",
        "tcp://BuildKit-X86.CI.Example.COM:1234 | tcp://buildkit-x86.ci.example.com:1234",
        "Buildkit:1234 | tcp://buildkit:1234",
        "localhost:1234 | tcp://localhost:1234",
        "10.0.0.7:1234 | tcp://10.0.0.7:1234",
        "[::1]:1234 | tcp://[::1]:1234",
        "tcp://[::ffff:10.0.0.1]:1 | tcp://10.0.0.1:1",
        "tcp://[2001:DB8:0:0:0:0:0:1]:1 | tcp://[2001:db8::1]:1",
        "http://h:80/x | http://h/x",
        "unix:///run//buildkit/./buildkitd.sock | unix:///run/buildkit/buildkitd.sock",
        "tcp://[FE80::1%Eth0]:1 | tcp://[fe80::1%Eth0]:1",
        "HTTPS://Host/Path/Kept | https://host/Path/Kept",
        "ssh://Builder@Host | ssh://Builder@host",
        "UNIX:///Run/BuildKit.sock | unix:///Run/BuildKit.sock",
        "Docker-Container://BuildKitd | docker-container://BuildKitd",
      })
  void schemeAndNetworkHostAreKeptInLowerCaseTheRestAsWritten(String addr, String canonical) {
    assertThat(Backend.canonicalAddr(addr)).isEqualTo(canonical);
    assertThat(Backend.of(addr, "x86_64")).isEqualTo(Backend.of(canonical, "x86_64"));
    assertThat(Backend.of(addr, "x86_64").withMaxJobs(3).addr()).isEqualTo(canonical);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "tcp:// | addr \"tcp://\": no host",
        "tcp://:0 | addr \"tcp://:0\": no host",
        "tcp://:1234 | addr \"tcp://:1234\": no host",
        "tcp://host:99999 | addr \"tcp://host:99999\": port must be from 1 to 65535, was \"99999\"",
        "tcp://host:0 | addr \"tcp://host:0\": port must be from 1 to 65535, was \"0\"",
        "tcp://host: | addr \"tcp://host:\": port must be from 1 to 65535, was \"\"",
        "tcp://host:01234 | addr \"tcp://host:01234\": port must be from 1 to 65535, was \"01234\"",
        "tcp://host:12ab | addr \"tcp://host:12ab\": port must be from 1 to 65535, was \"12ab\"",
        "tcp://host:1234/ | addr \"tcp://host:1234/\": nothing may follow the port, found \"/\"",
        "unix://relative.sock | addr \"unix://relative.sock\": a unix socket needs an absolute path"
            + " (unix:///path)",
        "unix:/// | addr \"unix:///\": a unix socket needs an absolute path (unix:///path)",
        "ftp://x | addr \"ftp://x\": unknown scheme ftp:// (expected host:port, tcp://, unix://,"
            + " http://, https://, ssh://, docker-container://, kube-pod://, podman-container:// or"
            + " nerdctl-container://)",
        "://x | addr \"://x\": no scheme before :// (expected host:port, tcp://, unix://, http://,"
            + " https://, ssh://, docker-container://, kube-pod://, podman-container:// or"
            + " nerdctl-container://)",
        "buildkit | addr \"buildkit\": no port (expected host:port, tcp://, unix://, http://,"
            + " https://, ssh://, docker-container://, kube-pod://, podman-container:// or"
            + " nerdctl-container://)",
        "tcp://a b:1 | addr \"tcp://a b:1\": host \"a b\" is not a DNS name (labels of letters,"
            + " digits, '-' and '_'), an IPv4 address or an IPv6 address in brackets",
        "tcp://-a:1 | addr \"tcp://-a:1\": host \"-a\" is not a DNS name (labels of letters, digits,"
            + " '-' and '_'), an IPv4 address or an IPv6 address in brackets",
        "tcp://a..b:1 | addr \"tcp://a..b:1\": host \"a..b\" is not a DNS name (labels of letters,"
            + " digits, '-' and '_'), an IPv4 address or an IPv6 address in brackets",
        "tcp://10.0.0.300:1 | addr \"tcp://10.0.0.300:1\": host \"10.0.0.300\" is not a DNS name"
            + " (labels of letters, digits, '-' and '_'), an IPv4 address or an IPv6 address in"
            + " brackets",
        "tcp://::1:1234 | addr \"tcp://::1:1234\": an IPv6 address needs brackets, as in [::1]:1234",
        "tcp://[::1:1234 | addr \"tcp://[::1:1234\": an unclosed [ in the host",
        "tcp://[::g]:1 | addr \"tcp://[::g]:1\": [::g] is not an IPv6 address",
        "tcp://[1::2::3]:1 | addr \"tcp://[1::2::3]:1\": [1::2::3] is not an IPv6 address",
        "tcp://[1:2:3:4:5:6:7]:1 | addr \"tcp://[1:2:3:4:5:6:7]:1\": [1:2:3:4:5:6:7] is not an IPv6"
            + " address",
        "http://h/a b | addr \"http://h/a b\": the path must not contain white space",
        "http://h/a<b> | addr \"http://h/a<b>\": the path may hold only URL characters, found '<'",
        "https://us\"er@h | addr \"https://us\\\"er@h\": the user may hold only URL characters,"
            + " found '\\\"'",
        "docker-container:// | addr \"docker-container://\": docker-container:// needs a container"
            + " name",
        "kube-pod://?namespace=x | addr \"kube-pod://?namespace=x\": kube-pod:// needs a pod name",
        "docker-container://a/b | addr \"docker-container://a/b\": \"a/b\" is not a container name"
            + " (letters, digits, '_', '.' and '-', starting with a letter or digit)",
        "nerdctl-container://b?namespace | addr \"nerdctl-container://b?namespace\": expected"
            + " ?key=value&... after the name, found \"?namespace\"",
      })
  void malformedAddressesAreRefusedSayingWhatIsWrong(String addr, String message) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(addr, "x86_64"))
        .withMessage(message);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.canonicalAddr(addr))
        .withMessage(message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcp://x1:1234 ", " tcp://x1:1234", "tcp://x1:1234\u00a0"})
  void surroundingWhiteSpaceIsRefused(String addr) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(addr, "x86_64"))
        .withMessageStartingWith("addr must not start or end with white space, was \"");
  }

  static Stream<Arguments> controlCharacters() {
    return Stream.of(
        arguments("tcp://a\n:1", "tcp://a\\n:1"),
        arguments(
            "tcp://a:1\r\nINFO removed backend tcp://b:1",
            "tcp://a:1\\r\\nINFO removed backend tcp://b:1"),
        arguments("tcp://a\u0000b:1", "tcp://a\\u0000b:1"),
        arguments("tcp://\u001b[31ma:1", "tcp://\\u001b[31ma:1"),
        arguments("tcp://a\u007f:1", "tcp://a\\u007f:1"),
        arguments("tcp://a\u0085:1", "tcp://a\\u0085:1"),
        arguments("tcp://a\u202e1:b", "tcp://a\\u202e1:b"),
        arguments("tcp://a\u2066:1", "tcp://a\\u2066:1"),
        arguments("tcp://a\u061c:1", "tcp://a\\u061c:1"),
        arguments("tcp://a\u200f:1", "tcp://a\\u200f:1"),
        arguments("unix:///run/a\u2028b.sock", "unix:///run/a\\u2028b.sock"));
  }

  @ParameterizedTest
  @MethodSource("controlCharacters")
  void controlCharactersAreRefusedAndShownEscaped(String addr, String shown) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(addr, "x86_64"))
        .withMessage("addr must not contain control characters, was \"" + shown + "\"");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend(addr, "x86_64", 1, Map.of(), 1, false, false, null))
        .withMessageNotContaining("\n")
        .withMessageNotContaining("\u001b");
  }

  @Test
  void aVeryLongAddressIsRefusedAndShownCut() {
    String addr = "tcp://" + "a".repeat(100_000) + ":1";

    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(addr, "x86_64"))
        .withMessageStartingWith("addr must be at most 512 characters, was 100008: \"tcp://aaa")
        .withMessageEndingWith("... (100008 characters)\"")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(600));
  }

  @Test
  void anAddressOfTheLongestLengthIsAccepted() {
    String host = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
    String longest = "ssh://" + "u".repeat(512 - 6 - host.length() - 1) + "@" + host;
    assertThat(longest).hasSize(Backend.MAX_ADDR_LENGTH);

    assertThat(Backend.of(longest, "x86_64").addr()).isEqualTo(longest);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Backend.of(longest + "x", "x86_64"))
        .withMessageStartingWith("addr must be at most 512 characters, was 513: ");
  }

  @Test
  void everyWayToMakeABackendChecksTheAddress() {
    assertThatIllegalArgumentException().isThrownBy(() -> Backend.discover("ftp://x"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend("tcp://", "x86_64", 1, Map.of()));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend("tcp://", "x86_64", 1, Map.of(), 1, true));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Backend("tcp://", "x86_64", 1, Map.of(), 1, true, true, null));
  }
}
