package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * How to reach a backend over TLS: whom to trust, who we are, and the name the server's certificate
 * must carry. YAML's per-backend {@code tls: {ca, cert, key, serverName}} reads into one of these;
 * relative paths there are relative to the YAML file.
 *
 * <pre>{@code
 * Backend.of("tcp://buildkit-arm:1234", "aarch64")
 *     .withTls(Tls.trusting(Path.of("/etc/buildkit/ca.pem"))
 *         .withClientCertificate(Path.of("client.pem"), Path.of("client-key.pem")));
 * }</pre>
 *
 * @param ca a PEM file of the certificates that may sign the server's; null for the JDK's default
 *     trust store
 * @param cert a PEM file of the client's certificate chain, for mutual TLS; null for none
 * @param key the PEM file of the client certificate's private key, unencrypted PKCS#8 ({@code BEGIN
 *     PRIVATE KEY}); null exactly when {@code cert} is
 * @param serverName the name the server's certificate must carry; null for the host of the
 *     backend's address
 */
public record Tls(
    @Nullable Path ca, @Nullable Path cert, @Nullable Path key, @Nullable String serverName) {

  /**
   * Checks that a client certificate comes with its key and that a server name is not blank. The
   * files are read when a probe (or the host application) connects.
   *
   * @throws IllegalArgumentException {@code tls: cert requires key}, {@code tls: key requires
   *     cert}, {@code tls: serverName must not be blank}, or a server name with control characters
   */
  public Tls {
    Checks.require(cert == null || key != null, "tls: cert requires key");
    Checks.require(key == null || cert != null, "tls: key requires cert");
    Checks.require(
        serverName == null || !serverName.isBlank(), "tls: serverName must not be blank");
    Checks.require(
        serverName == null || DisplayText.firstControl(serverName) < 0,
        "tls: serverName must not contain control characters, was "
            + DisplayText.quoted(String.valueOf(serverName)));
  }

  /** TLS that trusts what the JDK trusts, with no client certificate. */
  public static Tls system() {
    return new Tls(null, null, null, null);
  }

  /** TLS that trusts the certificates in {@code ca} (a PEM file), with no client certificate. */
  public static Tls trusting(Path ca) {
    return new Tls(ca, null, null, null);
  }

  /** This with a client certificate and its PKCS#8 key: mutual TLS. */
  public Tls withClientCertificate(Path cert, Path key) {
    return new Tls(ca, cert, key, serverName);
  }

  /** This expecting {@code serverName} in the server's certificate instead of the host. */
  public Tls withServerName(String serverName) {
    return new Tls(ca, cert, key, serverName);
  }

  /**
   * What is wrong with a private key file for Java's TLS (and grpc-java's), which reads only
   * unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}): a PKCS#1 or SEC1 key, as {@code openssl
   * genrsa} and older tools write them, gets the command that converts it. Reads the file's head
   * only, and only from a regular file: a device such as {@code /dev/zero} or a FIFO is refused
   * unread, as opening a FIFO blocks until someone writes to it.
   *
   * @return the problem, naming the file (escaped); null when the file is a PKCS#8 PEM key
   */
  public static @Nullable String keyFileProblem(Path key) {
    String shown = DisplayText.shown(key.toString());
    if (!Files.exists(key)) {
      return "no such file: " + shown;
    }
    if (!Files.isRegularFile(key)) {
      return shown + " is not a regular file (a directory, a device or a FIFO)";
    }
    String head;
    try (InputStream in = Files.newInputStream(key)) {
      head = new String(in.readNBytes(PEM_HEAD), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "cannot read " + shown + ": " + DisplayText.shown(String.valueOf(e.getMessage()));
    }
    String convert = "`openssl pkcs8 -topk8 -nocrypt -in " + shown + " -out key.pk8.pem`";
    String needs =
        ": Java's TLS needs an unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert it with "
            + convert
            + " and give that file";
    if (head.contains("-----BEGIN RSA PRIVATE KEY-----")) {
      return shown + " is a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY)" + needs;
    }
    if (head.contains("-----BEGIN EC PRIVATE KEY-----")) {
      return shown + " is a SEC1 EC key (BEGIN EC PRIVATE KEY)" + needs;
    }
    if (head.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      return shown
          + " is encrypted: give an unencrypted PKCS#8 key ("
          + convert
          + " asks for the passphrase once)";
    }
    if (!head.contains("-----BEGIN PRIVATE KEY-----")) {
      return shown + " is not a PEM private key (no BEGIN PRIVATE KEY line)";
    }
    return null;
  }

  /** Enough of a PEM file to find its first header. */
  private static final int PEM_HEAD = 4096;

  /** Whether we show a certificate of our own. */
  public boolean isMutual() {
    return cert != null;
  }
}
