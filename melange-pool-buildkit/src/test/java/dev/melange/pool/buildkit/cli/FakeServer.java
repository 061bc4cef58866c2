package dev.melange.pool.buildkit.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A server on 127.0.0.1 that answers every request with what {@link Answer} writes, for answers no
 * melange-server sends: empty, of the wrong shape, hostile text, endless or slow.
 */
final class FakeServer implements AutoCloseable {
  /** Writes the whole answer, status line included, for one request. */
  interface Answer {
    void write(OutputStream out) throws IOException, InterruptedException;
  }

  private final ServerSocket socket;
  private final Thread acceptor;

  FakeServer(Answer answer) throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor =
        new Thread(
            () -> {
              while (!socket.isClosed()) {
                try (Socket client = socket.accept()) {
                  readRequest(client.getInputStream());
                  OutputStream out = client.getOutputStream();
                  answer.write(out);
                  out.flush();
                } catch (IOException e) {
                  // the client went away, or the server is closing
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "fake-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** An answer of this status and JSON (or other) body, with its length. */
  static Answer of(int status, String body) {
    return out -> {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      out.write(
          ("HTTP/1.1 "
                  + status
                  + " X\r\nContent-Type: application/json\r\nContent-Length: "
                  + bytes.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes);
    };
  }

  String url() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  private static void readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        break;
      }
    }
    String text = head.toString(StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
    int length = text.indexOf("content-length:");
    if (length >= 0) {
      int end = text.indexOf("\r\n", length);
      in.readNBytes(Integer.parseInt(text.substring(length + 15, end).trim()));
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
