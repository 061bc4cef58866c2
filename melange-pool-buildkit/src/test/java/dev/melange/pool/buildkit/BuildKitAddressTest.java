package dev.melange.pool.buildkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BuildKitAddressTest {

  @ParameterizedTest
  @CsvSource({
    "tcp://buildkitd:1234, buildkitd, 1234",
    "buildkitd:1234, buildkitd, 1234",
    "TCP://10.0.0.1:1234, 10.0.0.1, 1234",
    "tcp://[::1]:1234, ::1, 1234",
  })
  void tcpAddresses(String addr, String host, int port) {
    BuildKitAddress address = BuildKitAddress.parse(addr);
    assertThat(address.isUnix()).isFalse();
    assertThat(address.host()).isEqualTo(host);
    assertThat(address.port()).isEqualTo(port);
  }

  @ParameterizedTest
  @CsvSource({
    "tcp://10.0.0.7:1234, true, 10.0.0.7:1234",
    "tcp://[::1]:1234, true, [::1]:1234",
    "tcp://[fe80::1%eth0]:1234, true, [fe80::1%eth0]:1234",
    "tcp://buildkitd:1234, false, buildkitd:1234",
    "tcp://buildkit-1.example.com:1234, false, buildkit-1.example.com:1234",
    "tcp://999.0.0.1:1234, false, 999.0.0.1:1234",
    "tcp://10.0.0:1234, false, 10.0.0:1234",
    "tcp://1.2.3.4.5:1234, false, 1.2.3.4.5:1234",
    "tcp://1234.0.0.1:1234, false, 1234.0.0.1:1234",
  })
  void anIpAddressIsToldFromAHostNameThatMustBeLookedUp(
      String addr, boolean literal, String authority) {
    BuildKitAddress address = BuildKitAddress.parse(addr);
    assertThat(address.isIpLiteral()).isEqualTo(literal);
    assertThat(address.authority()).isEqualTo(authority);
  }

  @ParameterizedTest
  @ValueSource(strings = {"unix:///run/buildkit/buildkitd.sock", "unix:///tmp/b.sock"})
  void unixAddresses(String addr) {
    BuildKitAddress address = BuildKitAddress.parse(addr);
    assertThat(address.isUnix()).isTrue();
    assertThat(address.path()).isEqualTo(addr.substring("unix://".length()));
    assertThat(address).hasToString(addr);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "docker-container://buildkitd",
        "kube-pod://buildkitd",
        "podman-container://buildkitd",
        "nerdctl-container://buildkitd",
        "ssh://me@host"
      })
  void clientHelperSchemesAreRefusedSayingWhatToDoInstead(String addr) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> BuildKitAddress.parse(addr))
        .withMessageContaining("runs a local helper program rather than a network connection")
        .withMessageContaining("expose buildkitd on tcp:// or unix://");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "tcp://buildkitd | expected tcp://host:port (buildkitd's port is 1234 by convention) or"
            + " unix:///path",
        "tcp://buildkitd:0 | port must be from 1 to 65535, was 0",
        "tcp://buildkitd:http | expected tcp://host:port",
        "unix://relative.sock | a unix socket needs an absolute path (unix:///path)",
        "http://buildkitd:1234 | unknown scheme, expected tcp:// or unix://",
        "tcp://:1234 | expected tcp://host:port",
      })
  void badAddressesAreRefusedNamingTheProblem(String addr, String problem) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> BuildKitAddress.parse(addr))
        .withMessageStartingWith("buildkit address \"" + addr + "\": ")
        .withMessageContaining(problem);
  }
}
