package dev.melange.pool.buildkit;

import dev.melange.pool.Tls;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A backend's {@link Tls} settings, checked and read into grpc's credentials when its probe is
 * made, so that what is wrong with them is said then, naming the backend and the file, rather than
 * at every probe: a missing or unreadable file; a private key that Java's TLS cannot read (PKCS#1,
 * SEC1 or encrypted: refused with the command that converts it, {@link Tls#keyFileProblem} says);
 * PEM that grpc cannot parse; TLS to a unix socket, which buildkitd serves in plaintext whatever
 * its TLS settings.
 */
final class BuildKitTls {

  private final String backend;
  private final Tls tls;
  private final ChannelCredentials credentials;

  private BuildKitTls(String backend, Tls tls, ChannelCredentials credentials) {
    this.backend = backend;
    this.tls = tls;
    this.credentials = credentials;
  }

  /**
   * Reads {@code tls} for the backend at {@code backend} (its address as configured), which is
   * reached at {@code address}.
   *
   * @throws IllegalArgumentException naming the backend and the file, when the settings cannot be
   *     used
   */
  static BuildKitTls read(String backend, BuildKitAddress address, Tls tls) {
    if (address.isUnix()) {
      throw refused(
          backend,
          "tls is for tcp:// addresses: buildkitd serves its unix sockets in plaintext even when it"
              + " has TLS settings (it logs \"TLS is disabled for unix://...\"); leave tls out for"
              + " this backend");
    }
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    Path ca = tls.ca();
    Path cert = tls.cert();
    Path key = tls.key();
    try {
      if (ca != null) {
        builder.trustManager(readable(backend, "ca", ca).toFile());
      }
      if (cert != null && key != null) {
        readable(backend, "cert", cert);
        String problem = Tls.keyFileProblem(readable(backend, "key", key));
        if (problem != null) {
          throw refused(backend, "tls.key: " + problem);
        }
        builder.keyManager(cert.toFile(), key.toFile());
      }
    } catch (IOException e) {
      throw refused(backend, "tls: cannot read " + files(tls) + ": " + e.getMessage());
    }
    return new BuildKitTls(backend, tls, builder.build());
  }

  ChannelCredentials credentials() {
    return credentials;
  }

  /** The name the daemon's certificate must carry, when it is not the address's host. */
  @Nullable String serverName() {
    return tls.serverName();
  }

  /**
   * The error to throw when grpc cannot make a TLS context of these files ({@code error}, from
   * {@code NettyChannelBuilder.forAddress}, says why: grpc reads the PEM only there).
   */
  IllegalArgumentException unusable(IllegalArgumentException error) {
    return refused(backend, "tls: grpc cannot read " + files(tls) + ": " + error.getMessage());
  }

  /** The files the settings name, for messages: {@code ca /a.pem, cert /b.pem, key /c.pem}. */
  private static String files(Tls tls) {
    StringBuilder text = new StringBuilder();
    append(text, "ca", tls.ca());
    append(text, "cert", tls.cert());
    append(text, "key", tls.key());
    return text.length() == 0 ? "the JDK's default trust" : text.toString();
  }

  private static void append(StringBuilder text, String name, @Nullable Path file) {
    if (file != null) {
      text.append(text.length() == 0 ? "" : ", ").append(name).append(' ').append(file);
    }
  }

  private static Path readable(String backend, String name, Path file) {
    if (!Files.isRegularFile(file)) {
      throw refused(backend, "tls." + name + ": no such file: " + file);
    }
    if (!Files.isReadable(file)) {
      throw refused(backend, "tls." + name + ": cannot read " + file);
    }
    return file;
  }

  private static IllegalArgumentException refused(String backend, String problem) {
    return new IllegalArgumentException("buildkit backend \"" + backend + "\": " + problem);
  }
}
