package dev.melange.pool.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProbeEndpointTest {

  @Test
  void tcpAddressGivesItsHostAndPort() {
    ProbeEndpoint endpoint = ProbeEndpoint.of("tcp://buildkit-x86:1234", 0, "tcp");

    assertThat(endpoint).isEqualTo(new ProbeEndpoint("buildkit-x86", 1234, false));
    assertThat(endpoint.authority()).isEqualTo("buildkit-x86:1234");
  }

  @Test
  void bareHostAndPortIsTakenAsTcp() {
    assertThat(ProbeEndpoint.of("buildkit-x86:1234", 0, "tcp"))
        .isEqualTo(new ProbeEndpoint("buildkit-x86", 1234, false));
    assertThat(ProbeEndpoint.of("10.0.0.7:1234", 0, "http"))
        .isEqualTo(new ProbeEndpoint("10.0.0.7", 1234, false));
  }

  @Test
  void httpWithoutAPortProbesPortEighty() {
    assertThat(ProbeEndpoint.of("http://h", 0, "http"))
        .isEqualTo(new ProbeEndpoint("h", 80, false));
    assertThat(ProbeEndpoint.of("http://h/some/path", 0, "tcp"))
        .isEqualTo(new ProbeEndpoint("h", 80, false));
  }

  @Test
  void httpsWithoutAPortProbesPort443Securely() {
    ProbeEndpoint endpoint = ProbeEndpoint.of("https://h", 0, "http");

    assertThat(endpoint).isEqualTo(new ProbeEndpoint("h", 443, true));
    assertThat(endpoint.secure()).isTrue();
    assertThat(ProbeEndpoint.of("https://h:8443", 0, "http"))
        .isEqualTo(new ProbeEndpoint("h", 8443, true));
  }

  @Test
  void schemeIsCaseInsensitive() {
    assertThat(ProbeEndpoint.of("HTTPS://h", 0, "http"))
        .isEqualTo(new ProbeEndpoint("h", 443, true));
    assertThat(ProbeEndpoint.of("TCP://h:1", 0, "tcp")).isEqualTo(new ProbeEndpoint("h", 1, false));
  }

  @Test
  void ipv6HostsGoInBrackets() {
    ProbeEndpoint endpoint = ProbeEndpoint.of("[::1]:1234", 0, "tcp");

    assertThat(endpoint).isEqualTo(new ProbeEndpoint("::1", 1234, false));
    assertThat(endpoint.authority()).isEqualTo("[::1]:1234");
    assertThat(ProbeEndpoint.of("tcp://[fe80::1]:99", 0, "tcp").host()).isEqualTo("fe80::1");
    assertThat(ProbeEndpoint.of("https://[::1]", 0, "http"))
        .isEqualTo(new ProbeEndpoint("::1", 443, true));
  }

  @Test
  void userInfoIsLeftOut() {
    assertThat(ProbeEndpoint.of("http://user:secret@h:8080/x", 0, "http"))
        .isEqualTo(new ProbeEndpoint("h", 8080, false));
  }

  @Test
  void portOverrideReplacesTheAddressPort() {
    assertThat(ProbeEndpoint.of("tcp://h:1234", 9000, "tcp"))
        .isEqualTo(new ProbeEndpoint("h", 9000, false));
    assertThat(ProbeEndpoint.of("https://h", 8443, "http"))
        .isEqualTo(new ProbeEndpoint("h", 8443, true));
  }

  @Test
  void portOverrideSuppliesAPortTheAddressLacks() {
    assertThat(ProbeEndpoint.of("tcp://h", 9000, "tcp"))
        .isEqualTo(new ProbeEndpoint("h", 9000, false));
    assertThat(ProbeEndpoint.of("h", 9000, "tcp")).isEqualTo(new ProbeEndpoint("h", 9000, false));
  }

  @Test
  void missingPortIsRefusedSayingWhereToGiveOne() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("tcp://h", 0, "tcp"))
        .withMessage(
            "a tcp health check cannot probe tcp://h: no port (give one in the address or as"
                + " healthCheck.port)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("h", 0, "tcp"))
        .withMessage(
            "a tcp health check cannot probe h: no port (give one in the address or as"
                + " healthCheck.port)");
  }

  @Test
  void unixSocketIsRefusedNamingTheScheme() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("unix:///run/buildkit/buildkitd.sock", 0, "tcp"))
        .withMessage(
            "a tcp health check needs a host:port address, and unix:///run/buildkit/buildkitd.sock"
                + " is not one (unix://); use a probe type that understands it, or no health check for this"
                + " backend (healthCheck: false)");
    // A port override does not make a socket probeable.
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("unix:///s.sock", 80, "tcp"))
        .withMessageStartingWith("a tcp health check needs a host:port address");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("docker-container://buildkitd", 0, "tcp"))
        .withMessageContaining(
            "is not one (docker-container://); use a probe type that understands it");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "tcp://h:abc | abc",
        "tcp://h:    | ''",
        "h:0         | 0",
        "h:65536     | 65536",
        "h:-1        | -1",
        "h:123456    | 123456",
        "h:+80       | +80",
        "[::1]:x     | x",
      })
  void badPortTextIsRefusedQuotingIt(String addr, String port) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of(addr, 0, "tcp"))
        .withMessage(
            "a tcp health check cannot probe "
                + addr
                + ": port \""
                + port
                + "\" is not a number from 1 to 65535");
  }

  @Test
  void badPortTextIsRefusedEvenWithAnOverride() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("h:abc", 9000, "tcp"))
        .withMessage(
            "a tcp health check cannot probe h:abc: port \"abc\" is not a number from 1 to 65535");
  }

  @Test
  void httpMessagesUseTheRightArticle() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("h", 0, "http"))
        .withMessageStartingWith("an http health check cannot probe h: ");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("unix:///s.sock", 0, "http"))
        .withMessageStartingWith("an http health check needs a host:port address");
  }

  @Test
  void missingHostIsRefused() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("tcp://:1234", 0, "tcp"))
        .withMessage("a tcp health check cannot probe tcp://:1234: no host");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("[]:1234", 0, "tcp"))
        .withMessage("a tcp health check cannot probe []:1234: no host");
  }

  @Test
  void malformedIpv6IsRefused() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("[::1:1234", 0, "tcp"))
        .withMessage("a tcp health check cannot probe [::1:1234: an unclosed [ in the host");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ProbeEndpoint.of("[::1]1234", 0, "tcp"))
        .withMessage("a tcp health check cannot probe [::1]1234: \"1234\" after the host");
  }
}
