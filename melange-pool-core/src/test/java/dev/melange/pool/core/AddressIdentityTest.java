package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendNotFoundException;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.DuplicateBackendException;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.RateLimit;
import org.junit.jupiter.api.Test;

/**
 * One daemon is one backend however its address is spelled: scheme and host compare regardless of
 * case, so {@code tcp://x1:1234} and {@code TCP://X1:1234} cannot both be in a pool (the daemon
 * would get twice its maxJobs), and every lookup by address finds it by either spelling.
 */
class AddressIdentityTest {

  @Test
  void aBackendSpelledTwiceIsOneBackendTooMany() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of("tcp://x1:1234", "x86_64"))
            .backend(Backend.of("TCP://X1:1234", "x86_64"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(DuplicateBackendException.class)
        .hasMessage("backend already exists: tcp://x1:1234");
  }

  /**
   * Spellings that are one daemon beyond case (found by the outside review): a bare host:port is
   * tcp, IPv6 has one written form (and an IPv4-mapped address is the IPv4 one), a scheme's default
   * port is the port, and a unix path is the path the kernel reads.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        "victim:1234 | tcp://victim:1234 | tcp://victim:1234",
        "tcp://[0:0:0:0:0:0:0:1]:1234 | tcp://[::1]:1234 | tcp://[::1]:1234",
        "tcp://[::0001]:1234 | tcp://[::1]:1234 | tcp://[::1]:1234",
        "tcp://[2001:DB8:0:0:1:0:0:1]:1 | tcp://[2001:db8::1:0:0:1]:1 | tcp://[2001:db8::1:0:0:1]:1",
        "tcp://[::ffff:127.0.0.1]:1234 | tcp://127.0.0.1:1234 | tcp://127.0.0.1:1234",
        "[::ffff:7f00:1]:1234 | 127.0.0.1:1234 | tcp://127.0.0.1:1234",
        "http://victim:80 | http://victim | http://victim",
        "https://victim:443/x | https://victim/x | https://victim/x",
        "ssh://u@h:22 | ssh://u@h | ssh://u@h",
        "unix:///run//b.sock | unix:///run/./b.sock | unix:///run/b.sock",
        "unix:///run/x/../b.sock | unix:///run/b.sock | unix:///run/b.sock"
      })
  void oneDaemonHasOneAddressHoweverItIsWritten(String one, String other, String canonical) {
    assertThat(Backend.canonicalAddr(one)).isEqualTo(canonical);
    assertThat(Backend.canonicalAddr(other)).isEqualTo(canonical);
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of(one, "x86_64"))
            .backend(Backend.of(other, "aarch64"));
    assertThatThrownBy(builder::build)
        .isInstanceOf(DuplicateBackendException.class)
        .hasMessage("backend already exists: " + canonical);
  }

  @Test
  void addRefusesAnotherSpellingOfABackendInThePool() {
    try (BackendPool pool =
        BackendPool.builder().backend(Backend.of("tcp://x1:1234", "x86_64")).build()) {
      assertThatThrownBy(() -> pool.add(Backend.of("tcp://X1:1234", "x86_64")))
          .isInstanceOf(DuplicateBackendException.class)
          .hasMessage("backend already exists: tcp://x1:1234");
      assertThat(pool.backends()).extracting(Backend::addr).containsExactly("tcp://x1:1234");
      assertThat(pool.totalCapacity()).isEqualTo(4);
    }
  }

  @Test
  void theBackendsShowTheCanonicalSpelling() {
    try (BackendPool pool =
        BackendPool.builder().backend(Backend.of("TCP://BuildKit-X86:1234", "x86_64")).build()) {
      assertThat(pool.backends())
          .extracting(Backend::addr)
          .containsExactly("tcp://buildkit-x86:1234");
      assertThat(pool.status().get(0).addr()).isEqualTo("tcp://buildkit-x86:1234");
    }
  }

  @Test
  void removeFindsTheBackendByAnySpelling() {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", "x86_64"))
            .backend(Backend.of("tcp://b:1", "x86_64"))
            .build()) {
      pool.remove("TCP://A:1");

      assertThat(pool.backends()).extracting(Backend::addr).containsExactly("tcp://b:1");
    }
  }

  @Test
  void removeOfWhatIsNoAddressSaysNotFoundShowingItEscaped() {
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", "x86_64"))
            .backend(Backend.of("tcp://b:1", "x86_64"))
            .build()) {
      assertThatThrownBy(() -> pool.remove("tcp://a:1\nINFO removed backend tcp://b:1"))
          .isInstanceOf(BackendNotFoundException.class)
          .hasMessage("backend not found: tcp://a:1\\nINFO removed backend tcp://b:1");
      assertThat(pool.backends()).hasSize(2);
    }
  }

  @Test
  void perBackendSettingsFindTheirBackendByAnySpelling() {
    ControlledProbes probes = new ControlledProbes("identity-never");
    try (BackendPool pool =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", "x86_64"))
            .backend(Backend.of("tcp://b:1", "x86_64"))
            .healthProbe(probes)
            .healthCheck(probes.check())
            .healthCheck("TCP://A:1", null)
            .rateLimit("Tcp://A:1", RateLimit.of(10, 5))
            .circuitBreaker("tcp://B:1", CircuitBreakerPolicy.FailureRate.defaults())
            .build()) {
      assertThat(PoolStatus.of(pool, "tcp://a:1").health()).isEqualTo(Health.HEALTHY);
      assertThat(PoolStatus.of(pool, "tcp://a:1").rateLimiter()).isNotNull();
      assertThat(PoolStatus.of(pool, "tcp://b:1").health()).isEqualTo(Health.UNKNOWN);
      assertThat(PoolStatus.of(pool, "tcp://b:1").calls()).isNotNull();
    }
  }

  @Test
  void aSettingForNoBackendNamesTheAddressEscaped() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1", "x86_64"))
            .healthCheck("tcp://nope:1\u001b[2J", HealthCheck.tcp());

    assertThatIllegalArgumentException()
        .isThrownBy(builder::build)
        .withMessage("healthCheck is given for tcp://nope:1\\u001b[2J, which is not a backend");
  }

  @Test
  void aBuildKitCheckWithoutTheBuildKitArtifactNamesTheArtifact() {
    BackendPool.Builder builder =
        BackendPool.builder()
            .backend(Backend.of("tcp://a:1234", "x86_64"))
            .healthCheck(HealthCheck.of("buildkit"));

    assertThatIllegalArgumentException()
        .isThrownBy(builder::build)
        .withMessage(
            "unknown health check type \"buildkit\" for tcp://a:1234: it comes with"
                + " dev.melange:melange-pool-buildkit, which is not on the class path; add that"
                + " artifact (known here: tcp, http)");
  }
}
