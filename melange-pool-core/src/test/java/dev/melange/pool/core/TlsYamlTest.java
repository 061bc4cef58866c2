package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.Tls;
import dev.melange.pool.core.config.PoolSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backend's {@code tls} and {@code allowEmulated} in YAML. */
class TlsYamlTest {
  @TempDir Path dir;

  private ConfigFiles files;

  @BeforeEach
  void setUp() throws Exception {
    files = new ConfigFiles(dir);
    Files.createDirectories(dir.resolve("certs"));
    Files.writeString(dir.resolve("certs/ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    Files.writeString(dir.resolve("certs/client.pem"), "-----BEGIN CERTIFICATE-----\n");
    Files.writeString(dir.resolve("certs/client-key.pem"), "-----BEGIN PRIVATE KEY-----\n");
    Files.writeString(dir.resolve("certs/rsa-key.pem"), "-----BEGIN RSA PRIVATE KEY-----\n");
  }

  @Test
  void pathsAreRelativeToTheFileAndServerNameIsKept() throws Exception {
    PoolSettings settings =
        files.load(
            """
            backends:
              - addr: tcp://a:1234
                arch: x86_64
                allowEmulated: true
                tls:
                  ca: certs/ca.pem
                  cert: certs/client.pem
                  key: certs/client-key.pem
                  serverName: buildkit.internal
              - addr: tcp://b:1234
                arch: x86_64
                tls: true
              - addr: tcp://c:1234
                arch: x86_64
            """);

    Backend first = settings.backends().get(0);
    assertThat(first.allowEmulated()).isTrue();
    assertThat(first.tls())
        .isEqualTo(
            new Tls(
                dir.resolve("certs/ca.pem"),
                dir.resolve("certs/client.pem"),
                dir.resolve("certs/client-key.pem"),
                "buildkit.internal"));
    assertThat(settings.backends().get(1).tls()).isEqualTo(Tls.system());
    assertThat(settings.backends().get(2).tls()).isNull();
    assertThat(settings.backends().get(2).allowEmulated()).isFalse();
  }

  @Test
  void aPkcs1KeyIsRefusedWithTheCommandThatConvertsIt() throws Exception {
    String key = "certs/rsa-key.pem"; // the problems are shown relative to the test directory

    assertThat(
            files.problems(
                """
                backends:
                  - addr: tcp://a:1234
                    arch: x86_64
                    tls: {cert: certs/client.pem, key: certs/rsa-key.pem}
                """))
        .containsExactly(
            "backends.yaml:4:40: backends[0].tls.key: "
                + key
                + " is a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY): Java's TLS needs an unencrypted"
                + " PKCS#8 key (BEGIN PRIVATE KEY); convert it with `openssl pkcs8 -topk8 -nocrypt"
                + " -in "
                + key
                + " -out key.pk8.pem` and give that file");
  }

  @Test
  void missingFilesAHalfClientCertificateAndBadValuesAreLocated() throws Exception {
    assertThat(
            files.problems(
                """
                backends:
                  - addr: tcp://a:1234
                    arch: x86_64
                    tls: {ca: certs/nope.pem}
                  - addr: tcp://b:1234
                    arch: x86_64
                    tls: {cert: certs/client.pem}
                  - addr: tcp://c:1234
                    arch: x86_64
                    tls: {serverName: " ", colour: red}
                    allowEmulated: maybe
                """))
        .containsExactly(
            "backends.yaml:4:15: backends[0].tls.ca: no such file: certs/nope.pem",
            "backends.yaml:7:10: backends[1].tls: cert requires key",
            "backends.yaml:10:23: backends[2].tls.serverName: must not be blank",
            "backends.yaml:10:28: backends[2].tls.colour: unknown key, expected one of ca, cert,"
                + " key, serverName",
            "backends.yaml:11:20: backends[2].allowEmulated: must be true or false, was \"maybe\"");
  }
}
