package dev.melange.pool.buildkit;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Test helper: certificates made at run time by the JDK's {@code keytool}, as PEM files in one
 * folder, so that no key is checked in. A CA signs a server certificate for 127.0.0.1 and
 * localhost, one for {@code buildkit.internal} only, and a client certificate; a second CA signs
 * nothing. Keys are EC P-256 (quick to make), written as unencrypted PKCS#8 PEM, what grpc-java
 * reads. keytool starts a JVM a run, so independent runs go in parallel, and a test class makes one
 * set for all its tests.
 */
final class TestCertificates {
  /** The name the {@link #namedServer} certificate is for, and nothing else. */
  static final String SERVER_NAME = "buildkit.internal";

  private static final String PASSWORD = "changeit";
  private static final long KEYTOOL_SECONDS = 120;

  /** A certificate and its private key, as PEM files. */
  record Identity(Path cert, Path key) {}

  /** The CA that signed the certificates below. */
  final Path ca;

  /** A CA that signed none of them. */
  final Path otherCa;

  /** The server's, for {@code ip:127.0.0.1} and {@code dns:localhost}. */
  final Identity server;

  /** A server's for {@code dns:buildkit.internal} only. */
  final Identity namedServer;

  /** The client's, for mutual TLS. */
  final Identity client;

  private TestCertificates(Path dir) {
    ca = dir.resolve("ca.pem");
    otherCa = dir.resolve("other-ca.pem");
    server = identity(dir, "server");
    namedServer = identity(dir, "named-server");
    client = identity(dir, "client");
  }

  private static Identity identity(Path dir, String name) {
    return new Identity(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
  }

  /** Makes a set in {@code dir}. */
  static TestCertificates generate(Path dir) throws IOException, GeneralSecurityException {
    TestCertificates made = new TestCertificates(dir);
    Keytool keytool = new Keytool(dir);
    List<Run> runs = new ArrayList<>();
    runs.add(keytool.keyPair("ca", "CN=melange test CA", "-ext", "bc:c"));
    runs.add(keytool.keyPair("other-ca", "CN=melange other CA", "-ext", "bc:c"));
    runs.add(keytool.keyPair("server", "CN=127.0.0.1"));
    runs.add(keytool.keyPair("named-server", "CN=" + SERVER_NAME));
    runs.add(keytool.keyPair("client", "CN=melange client"));
    Run.awaitAll(runs);
    runs.clear();
    runs.addAll(keytool.signed("server", made.server.cert(), "san=ip:127.0.0.1,dns:localhost"));
    runs.addAll(keytool.signed("named-server", made.namedServer.cert(), "san=dns:" + SERVER_NAME));
    runs.addAll(keytool.signed("client", made.client.cert(), null));
    Run.awaitAll(runs);
    keytool.exportCertificate("ca", made.ca);
    keytool.exportCertificate("other-ca", made.otherCa);
    keytool.exportKey("server", made.server.key());
    keytool.exportKey("named-server", made.namedServer.key());
    keytool.exportKey("client", made.client.key());
    return made;
  }

  /**
   * What a daemon serves TLS with: {@code identity}; when {@code clientCa} is given, it requires a
   * client certificate signed by it (mutual TLS).
   */
  static ServerCredentials serving(Identity identity, @Nullable Path clientCa) throws IOException {
    TlsServerCredentials.Builder builder =
        TlsServerCredentials.newBuilder()
            .keyManager(identity.cert().toFile(), identity.key().toFile());
    if (clientCa != null) {
      builder.trustManager(clientCa.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return builder.build();
  }

  /** A keytool run under way, and the file its complaints go to. */
  private record Run(Process process, Path errors) {
    /** Waits for each; one that fails or hangs fails the set, with keytool's complaint. */
    static void awaitAll(List<Run> runs) throws IOException {
      for (Run run : runs) {
        Process process = run.process();
        try {
          if (!process.waitFor(KEYTOOL_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("keytool took over " + KEYTOOL_SECONDS + " s: " + process.info());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted waiting for keytool", e);
        }
        if (process.exitValue() != 0) {
          throw new IOException(
              "keytool failed ("
                  + process.exitValue()
                  + "): "
                  + process.info()
                  + ": "
                  + Files.readString(run.errors()));
        }
      }
    }
  }

  /** Runs keytool on one PKCS12 key store a name, {@code <name>.p12}, in one folder. */
  private static final class Keytool {
    private final Path dir;
    private final String command =
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString();

    Keytool(Path dir) {
      this.dir = dir;
    }

    private Path store(String name) {
      return dir.resolve(name + ".p12");
    }

    private List<String> run(String... args) {
      List<String> line = new ArrayList<>();
      line.add(command);
      // A short-lived JVM: the quick compiler and the serial collector start faster.
      line.add("-J-XX:TieredStopAtLevel=1");
      line.add("-J-XX:+UseSerialGC");
      line.addAll(List.of(args));
      return line;
    }

    private List<String> onStore(String name, String... args) {
      List<String> line = run(args);
      line.addAll(
          List.of("-alias", name, "-keystore", store(name).toString(), "-storepass", PASSWORD));
      return line;
    }

    Run keyPair(String name, String dname, String... extensions) throws IOException {
      List<String> line =
          onStore(
              name,
              "-genkeypair",
              "-storetype",
              "PKCS12",
              "-keyalg",
              "EC",
              "-groupname",
              "secp256r1",
              "-validity",
              "2",
              "-dname",
              dname);
      line.addAll(List.of(extensions));
      Path errors = dir.resolve(name + "-genkeypair.err");
      ProcessBuilder builder =
          new ProcessBuilder(line)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(errors.toFile());
      return new Run(builder.start(), errors);
    }

    /** Has the CA sign {@code name}'s key, its certificate written as PEM to {@code pem}. */
    List<Run> signed(String name, Path pem, @Nullable String san) throws IOException {
      List<String> sign = onStore("ca", "-gencert", "-rfc", "-validity", "2");
      if (san != null) {
        sign.addAll(List.of("-ext", san));
      }
      Path requestErrors = dir.resolve(name + "-certreq.err");
      Path signErrors = dir.resolve(name + "-gencert.err");
      List<Process> pipeline =
          ProcessBuilder.startPipeline(
              List.of(
                  new ProcessBuilder(onStore(name, "-certreq"))
                      .redirectError(requestErrors.toFile()),
                  new ProcessBuilder(sign)
                      .redirectOutput(pem.toFile())
                      .redirectError(signErrors.toFile())));
      return List.of(new Run(pipeline.get(0), requestErrors), new Run(pipeline.get(1), signErrors));
    }

    private KeyStore load(String name) throws IOException, GeneralSecurityException {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store(name))) {
        keys.load(in, PASSWORD.toCharArray());
      }
      return keys;
    }

    void exportCertificate(String name, Path pem) throws IOException, GeneralSecurityException {
      write(pem, "CERTIFICATE", load(name).getCertificate(name).getEncoded());
    }

    void exportKey(String name, Path pem) throws IOException, GeneralSecurityException {
      // PKCS12 keys come out as PKCS#8, the form grpc-java needs.
      write(pem, "PRIVATE KEY", load(name).getKey(name, PASSWORD.toCharArray()).getEncoded());
    }

    private static void write(Path pem, String type, byte[] der) throws IOException {
      String body =
          Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
      Files.writeString(
          pem,
          "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n",
          StandardCharsets.US_ASCII);
    }
  }
}
