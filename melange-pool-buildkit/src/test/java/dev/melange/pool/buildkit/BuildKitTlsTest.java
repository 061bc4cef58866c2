package dev.melange.pool.buildkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.PoolConfigException;
import dev.melange.pool.Tls;
import dev.melange.pool.spi.HealthProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The buildkit probe over TLS, against fake daemons serving certificates that {@link
 * TestCertificates} makes once for the class.
 */
class BuildKitTlsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir static Path certificates;
  private static TestCertificates certs;

  @TempDir Path dir;

  @BeforeAll
  static void makeCertificates() throws Exception {
    certs = TestCertificates.generate(certificates);
  }

  private static HealthProbe create(String addr, @Nullable Tls tls) {
    return new BuildKitProbeFactory()
        .create(Backend.of(addr, "x86_64").withTls(tls), HealthCheck.of(BuildKitProbeFactory.TYPE));
  }

  private static HealthProbe.Result check(String addr, @Nullable Tls tls) throws Exception {
    try (HealthProbe probe = create(addr, tls)) {
      return probe.check(TIMEOUT).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Down, with one line that says why: not grpc's "io exception" and its channel pipeline. */
  private static void assertDown(HealthProbe.Result result, String why) {
    assertThat(result.healthy()).isFalse();
    assertThat(result.detail())
        .startsWith("health: UNAVAILABLE (")
        .contains(why)
        .doesNotContain("\n");
  }

  /**
   * A daemon with one worker serving {@code identity}; requiring a client certificate signed by
   * {@code clientCa} when that is given.
   */
  private static FakeBuildKitd daemon(TestCertificates.Identity identity, @Nullable Path clientCa)
      throws IOException {
    return FakeBuildKitd.tls(TestCertificates.serving(identity, clientCa)).worker("linux/amd64");
  }

  private static void assertUp(HealthProbe.Result result) {
    assertThat(result.healthy()).isTrue();
    assertThat(result.detail()).isEqualTo("ok: 1 worker, linux/amd64");
  }

  private static Tls mutual(Path ca) {
    return Tls.trusting(ca).withClientCertificate(certs.client.cert(), certs.client.key());
  }

  @Test
  void aDaemonWhoseCertificateTheCaSignedIsUp() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, null)) {
      assertUp(check(daemon.addr(), Tls.trusting(certs.ca)));
    }
  }

  @Test
  void mutualTlsIsUp() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, certs.ca)) {
      assertUp(check(daemon.addr(), mutual(certs.ca)));
    }
  }

  @Test
  void aDaemonThatRequiresAClientCertificateRefusesAProbeWithoutOne() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, certs.ca)) {
      assertDown(check(daemon.addr(), Tls.trusting(certs.ca)), "CERTIFICATE_REQUIRED");
    }
  }

  @Test
  void aDaemonSignedByAnotherCaIsDown() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, null)) {
      assertDown(
          check(daemon.addr(), Tls.trusting(certs.otherCa)),
          "unable to find valid certification path to requested target");
    }
  }

  @Test
  void plaintextToATlsDaemonIsDown() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, null)) {
      HealthProbe.Result result = check(daemon.addr(), null);
      assertThat(result.healthy()).isFalse();
      assertThat(result.detail()).startsWith("health: UNAVAILABLE");
    }
  }

  @Test
  void theServerNameReplacesTheHostInTheCertificateCheck() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.namedServer, null)) {
      assertUp(
          check(
              daemon.addr(), Tls.trusting(certs.ca).withServerName(TestCertificates.SERVER_NAME)));

      assertDown(
          check(daemon.addr(), Tls.trusting(certs.ca)),
          "No subject alternative names matching IP address 127.0.0.1 found");
    }
  }

  @Test
  void aDaemonGivenByHostNameIsCheckedAgainstThatNameNotTheAddressItResolvedTo() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, null)) {
      assertUp(check(byName(daemon), Tls.trusting(certs.ca)));
    }
    try (FakeBuildKitd daemon = daemon(certs.namedServer, null)) {
      assertDown(
          check(byName(daemon), Tls.trusting(certs.ca)),
          "No subject alternative DNS name matching localhost found");
    }
  }

  /** The daemon's address with {@code localhost} for its IP: a name the probe looks up. */
  private static String byName(FakeBuildKitd daemon) {
    return daemon.addr().replace("127.0.0.1", "localhost");
  }

  @Test
  void tlsToAUnixSocketIsRefusedBecauseBuildkitdServesSocketsInPlaintext() {
    String addr = "unix://" + dir.resolve("buildkitd.sock");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> create(addr, Tls.trusting(certs.ca)))
        .withMessage(
            "buildkit backend \""
                + addr
                + "\": tls is for tcp:// addresses: buildkitd serves its unix sockets in plaintext"
                + " even when it has TLS settings (it logs \"TLS is disabled for unix://...\");"
                + " leave tls out for this backend");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "RSA PRIVATE KEY | is a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY): Java's TLS needs an"
            + " unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert it with `openssl pkcs8 -topk8"
            + " -nocrypt -in %s -out key.pk8.pem` and give that file",
        "EC PRIVATE KEY | is a SEC1 EC key (BEGIN EC PRIVATE KEY): Java's TLS needs an"
            + " unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert it with `openssl pkcs8 -topk8"
            + " -nocrypt -in %s -out key.pk8.pem` and give that file",
        "ENCRYPTED PRIVATE KEY | is encrypted: give an unencrypted PKCS#8 key (`openssl pkcs8"
            + " -topk8 -nocrypt -in %s -out key.pk8.pem` asks for the passphrase once)",
      })
  void aKeyJavaCannotReadIsRefusedWithTheCommandThatConvertsIt(String type, String problem)
      throws Exception {
    // Only the header decides; the body is the client key's, under another name.
    String pem = Files.readString(certs.client.key()).replace("PRIVATE KEY", type);
    Path key = Files.writeString(dir.resolve("client-key.pem"), pem);
    Tls tls = Tls.trusting(certs.ca).withClientCertificate(certs.client.cert(), key);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> create("tcp://127.0.0.1:1234", tls))
        .withMessage(
            "buildkit backend \"tcp://127.0.0.1:1234\": tls.key: "
                + key
                + " "
                + problem.formatted(key));
  }

  @Test
  void aMissingFileIsRefusedNamingIt() {
    Path missing = dir.resolve("no-ca.pem");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> create("tcp://buildkitd:1234", Tls.trusting(missing)))
        .withMessage("buildkit backend \"tcp://buildkitd:1234\": tls.ca: no such file: " + missing);
  }

  @Test
  void pemThatGrpcCannotParseIsRefusedNamingTheFiles() throws Exception {
    Path key =
        Files.writeString(
            dir.resolve("garbage-key.pem"),
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    Tls tls = Tls.trusting(certs.ca).withClientCertificate(certs.client.cert(), key);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> create("tcp://buildkitd:1234", tls))
        .withMessageStartingWith(
            "buildkit backend \"tcp://buildkitd:1234\": tls: grpc cannot read ca "
                + certs.ca
                + ", cert "
                + certs.client.cert()
                + ", key "
                + key
                + ": ")
        .withMessageContaining("valid private key");
    Path ca = Files.writeString(dir.resolve("garbage-ca.pem"), "not a certificate\n");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> create("tcp://buildkitd:1234", Tls.trusting(ca)))
        .withMessageStartingWith(
            "buildkit backend \"tcp://buildkitd:1234\": tls: grpc cannot read ca " + ca + ": ")
        .withMessageContaining("No certificate data found");
  }

  @Test
  void pemThatGrpcCannotParseIsReportedAtItsBackendInTheFile() throws Exception {
    Files.writeString(dir.resolve("garbage-ca.pem"), "not a certificate\n");
    Path file =
        Files.writeString(
            dir.resolve("backends.yaml"),
            """
            healthCheck: {type: buildkit}
            backends:
              - addr: tcp://a:1234
                arch: x86_64
              - addr: tcp://b:1234
                arch: x86_64
                tls: {ca: garbage-ca.pem}
            """);
    assertThatThrownBy(() -> BackendPool.fromYaml(file).close())
        .isInstanceOf(PoolConfigException.class)
        .hasMessageStartingWith(
            file
                + ":5:5: backends[1]: buildkit backend \"tcp://b:1234\": tls: grpc cannot read ca "
                + dir.resolve("garbage-ca.pem"))
        .satisfies(e -> assertThat(((PoolConfigException) e).line()).isEqualTo(5));
  }

  @Test
  void aPoolFromYamlReachesItsDaemonOverMutualTlsWithPathsRelativeToTheFile() throws Exception {
    try (FakeBuildKitd daemon = daemon(certs.server, certs.ca)) {
      Path file =
          Files.writeString(
              certificates.resolve("backends.yaml"),
              """
              backends:
                - addr: %s
                  arch: x86_64
                  tls:
                    ca: %s
                    cert: %s
                    key: %s
              healthCheck:
                type: buildkit
                interval: 100ms
                healthyThreshold: 1
              """
                  .formatted(
                      daemon.addr(),
                      certs.ca.getFileName(),
                      certs.client.cert().getFileName(),
                      certs.client.key().getFileName()));
      try (BackendPool pool = BackendPool.fromYaml(file)) {
        PoolWaits.await(
            pool, "health HEALTHY", () -> pool.status().get(0).health() == Health.HEALTHY);
        assertThat(pool.status().get(0).lastProbeResult()).isEqualTo("ok: 1 worker, linux/amd64");
      }
    }
  }
}
