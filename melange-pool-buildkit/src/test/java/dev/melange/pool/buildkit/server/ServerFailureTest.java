package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.buildkit.server.RawHttp.Answer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.AbstractList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Large answers are written as they are made; a server whose machinery fails stops and says so. */
class ServerFailureTest {

  /** One backend whose status is about 13 KB of JSON: more than the writer's buffer. */
  private static BackendPool poolOfALargeBackend() {
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      labels.put("label-" + i, "v".repeat(200));
    }
    return BackendPool.builder()
        .backend(new Backend("tcp://big:1234", "x86_64", 2, labels))
        .build();
  }

  @Test
  void aLargeStatusReachesTheClientWhileItIsStillBeingWritten() throws Exception {
    BackendPool real = poolOfALargeBackend();
    CountDownLatch clientHasTheStart = new CountDownLatch(1);
    // Two statuses; the second is made only once the client holds the start of the answer,
    // which it can only if the first went out on its own.
    List<BackendStatus> gated =
        new AbstractList<>() {
          @Override
          public BackendStatus get(int index) {
            if (index == 1) {
              try {
                clientHasTheStart.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return real.status().get(0);
          }

          @Override
          public int size() {
            return 2;
          }
        };
    try (TestApi server = TestApi.start(TestApi.withStatus(real, () -> gated));
        RawHttp client = new RawHttp(server.api.address().getPort())) {
      client.send("GET /api/v1/backends/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      byte[] start = client.socket.getInputStream().readNBytes(4096);
      assertThat(new String(start, java.nio.charset.StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 200 ")
          .contains("{\"backends\":[{\"addr\":\"tcp://big:1234\"");
      clientHasTheStart.countDown();
      byte[] rest = client.socket.getInputStream().readNBytes(20_000);
      assertThat(start.length + rest.length).isGreaterThan(20_000);
    } finally {
      real.close();
    }
  }

  @Test
  void anErrorInTheServersThreadsStopsItAndWhenStoppedSaysWhy() throws Exception {
    BackendPool real = TestApi.guidePool();
    BackendPool failing =
        TestApi.withStatus(
            real,
            () -> {
              throw new OutOfMemoryError("Java heap space (thrown by the test)");
            });
    try (TestApi server = TestApi.start(failing)) {
      int port = server.api.address().getPort();
      CompletableFuture<Void> stopped = server.api.whenStopped().toCompletableFuture();
      assertThat(stopped).isNotDone();
      try (RawHttp client = new RawHttp(port)) {
        client.send("GET /api/v1/backends/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Answer answer = client.read();
        assertThat(answer.status()).isEqualTo(500); // or cut off, below
      } catch (IOException cutOff) {
        // the answer may not have been sent at all
      }

      assertThatThrownBy(() -> stopped.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(OutOfMemoryError.class)
          .hasMessage("Java heap space (thrown by the test)");
      assertThat(refusesConnections(port)).isTrue();
    } finally {
      real.close();
    }
  }

  @Test
  void closingCompletesWhenStoppedNormally() {
    TestApi server = TestApi.start(TestApi.guidePool());
    CompletableFuture<Void> stopped = server.api.whenStopped().toCompletableFuture();

    server.close();

    assertThat(stopped).isCompleted();
    assertThat(stopped.isCompletedExceptionally()).isFalse();
  }

  /** Whether connecting to the port is refused within 30 seconds (the server stops on its own). */
  private static boolean refusesConnections(int port) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      try {
        new Socket(InetAddress.getLoopbackAddress(), port).close();
        Thread.sleep(100);
      } catch (ConnectException refused) {
        return true;
      } catch (IOException other) {
        Thread.sleep(100);
      }
    }
    return false;
  }
}
