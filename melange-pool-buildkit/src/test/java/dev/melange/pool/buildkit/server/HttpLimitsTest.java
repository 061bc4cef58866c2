package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.buildkit.server.RawHttp.Answer;
import dev.melange.pool.buildkit.server.TestApi.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server under attack, on 127.0.0.1: slow, idle, oversized and malformed requests get a short
 * answer or a closed connection, and never keep other clients from theirs.
 */
class HttpLimitsTest {
  private static final String LIST = "/api/v1/backends";
  private static final String ADD_HEAD =
      "POST /api/v1/backends HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  private static final String ADD_BODY = "{\"addr\":\"tcp://new:1\",\"arch\":\"x86_64\"}";

  private static void assertPlainTextLine(Answer answer, int status, String line) {
    assertThat(answer.status()).isEqualTo(status);
    assertThat(answer.contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(answer.body()).isEqualTo(line + "\n");
  }

  /** A GET answered within 5 seconds, or a failure: what "not frozen" means here. */
  private static Reply promptGet(TestApi server) throws Exception {
    return server.send(server.request(LIST).timeout(Duration.ofSeconds(5)).GET());
  }

  @Test
  void idleConnectionsThatSentOneByteDoNotStopOthersBeingAnswered() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      List<RawHttp> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 16; i++) {
          idle.add(new RawHttp(server.api.address().getPort()).send("G"));
        }
        for (int i = 0; i < 8; i++) {
          long start = System.nanoTime();
          assertThat(promptGet(server).status()).isEqualTo(200);
          assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
      } finally {
        for (RawHttp socket : idle) {
          socket.close();
        }
      }
    }
  }

  @Test
  void connectionsAreBounded() throws Exception {
    try (TestApi server =
        TestApi.start(
            TestApi.guidePool(),
            options -> options.maxConnections(4).readTimeout(Duration.ofSeconds(60)))) {
      List<RawHttp> idle = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        idle.add(new RawHttp(server.api.address().getPort()).send("G"));
      }
      // A fifth connection waits in the backlog, unanswered, while four are open...
      assertThatThrownBy(
              () -> server.send(server.request(LIST).timeout(Duration.ofMillis(1500)).GET()))
          .isInstanceOf(HttpTimeoutException.class);
      // ...and is served once one of them goes.
      idle.remove(0).close();
      assertThat(promptGet(server).status()).isEqualTo(200);
      for (RawHttp socket : idle) {
        socket.close();
      }
    }
  }

  @Test
  void clientsThatDoNotReadALargeAnswerAreCutOffAtTheWriteTimeout() throws Exception {
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      labels.put("label-" + i, "v".repeat(200));
    }
    BackendPool real =
        BackendPool.builder().backend(new Backend("tcp://big:1234", "x86_64", 2, labels)).build();
    // About 14 MB of status: more than the sockets between server and client hold.
    List<BackendStatus> large = Collections.nCopies(1_000, real.status().get(0));
    List<Socket> stalled = new ArrayList<>();
    try (TestApi server =
        TestApi.start(
            TestApi.withStatus(real, () -> large),
            options ->
                options
                    .maxConcurrentRequests(2)
                    .writeTimeout(Duration.ofSeconds(1))
                    .idleTimeout(Duration.ofSeconds(60)))) {
      int port = server.api.address().getPort();
      for (int i = 0; i < 2; i++) {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.setSoTimeout(30_000);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        socket
            .getOutputStream()
            .write(
                "GET /api/v1/backends/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
        // The answer has begun: this request holds its thread and its turn.
        assertThat(new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1))
            .isEqualTo("HTTP/1.1 200");
        stalled.add(socket);
      }

      // Both turns are taken; this one waits for one, at most the read timeout (10 s), then 503.
      Reply bystander = server.send(server.request(LIST).timeout(Duration.ofSeconds(30)).GET());

      assertThat(bystander.status()).isEqualTo(200);
      for (Socket socket : stalled) {
        assertThat(endsBeforeTheWholeAnswer(socket)).isTrue();
      }
    } finally {
      for (Socket socket : stalled) {
        socket.close();
      }
      real.close();
    }
  }

  /** Whether the server closed the connection before sending it a 14 MB answer whole. */
  private static boolean endsBeforeTheWholeAnswer(Socket socket) throws IOException {
    long read = 0;
    byte[] buffer = new byte[64 * 1024];
    try {
      for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
        read += n;
      }
    } catch (SocketException reset) {
      // closed by the server, as a reset
    }
    return read < 10_000_000;
  }

  @Test
  void backendsAddedThroughTheApiAreBounded() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool(), options -> options.maxBackends(4))) {
      assertThat(server.post(LIST, ADD_BODY).status()).isEqualTo(201);

      Reply refused = server.post(LIST, "{\"addr\":\"tcp://one-more:1\",\"arch\":\"x86_64\"}");

      assertThat(refused.status()).isEqualTo(409);
      assertThat(refused.body())
          .isEqualTo("cannot add backend: the pool holds 4 backends, this server's limit is 4\n");
      assertThat(server.pool.backends()).hasSize(4);
      assertThat(server.delete(LIST, "{\"addr\":\"tcp://new:1\"}").status()).isEqualTo(204);
      assertThat(server.post(LIST, "{\"addr\":\"tcp://one-more:1\",\"arch\":\"x86_64\"}").status())
          .isEqualTo(201);
    }
  }

  @Test
  void aConnectionThatTricklesItsHeadIsClosedAtTheReadTimeout() throws Exception {
    try (TestApi server =
            TestApi.start(
                TestApi.guidePool(),
                options ->
                    options
                        .readTimeout(Duration.ofSeconds(1))
                        .idleTimeout(Duration.ofSeconds(60)));
        RawHttp slow = new RawHttp(server.api.address().getPort())) {
      slow.send("GET /api/v1/backends HTTP/1.1\r\nX-Pad: ");
      long start = System.nanoTime();
      boolean closed = false;
      // One byte every 100 ms keeps the idle timeout at bay, not the read timeout.
      for (int i = 0; i < 300 && !closed; i++) {
        try {
          slow.send("a");
          Thread.sleep(100);
        } catch (java.io.IOException e) {
          closed = true;
        }
      }
      if (!closed) {
        slow.socket.setSoTimeout(1);
        closed = slow.closedByServer();
      }
      assertThat(closed).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
  }

  @Test
  void aBodyThatDoesNotArriveIsAnswered408() throws Exception {
    try (TestApi server =
            TestApi.start(
                TestApi.guidePool(), options -> options.readTimeout(Duration.ofSeconds(1)));
        RawHttp slow = new RawHttp(server.api.address().getPort())) {
      slow.send(ADD_HEAD + "Content-Length: 100\r\n\r\n{\"addr\":");

      Answer answer = slow.read();

      assertPlainTextLine(answer, 408, "request body not received within 1s");
      assertThat(answer.headers().get("connection")).isEqualTo("close");
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void oversizedHeadersAre431AndAnOversizedUrl414() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      int port = server.api.address().getPort();
      try (RawHttp client = new RawHttp(port)) {
        client.send(
            "GET /api/v1/backends HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                + "a".repeat(9000)
                + "\r\n\r\n");
        assertPlainTextLine(
            client.read(),
            431,
            "request header fields too large: the request line and headers may take at most 8192"
                + " bytes");
      }
      try (RawHttp client = new RawHttp(port)) {
        client.send(
            "GET /api/v1/backends?" + "a".repeat(9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertPlainTextLine(
            client.read(),
            414,
            "request URL too long: the request line and headers may take at most 8192 bytes");
      }
      assertThat(promptGet(server).status()).isEqualTo(200);
    }
  }

  @Test
  void anOversizedContentLengthIs413Before100Continue() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool());
        RawHttp client = new RawHttp(server.api.address().getPort())) {
      client.send(ADD_HEAD + "Expect: 100-continue\r\nContent-Length: 10000000\r\n\r\n");

      assertPlainTextLine(client.read(), 413, "request body too large: the limit is 65536 bytes");
    }
  }

  @Test
  void aMalformedChunkedBodyIs400() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool());
        RawHttp client = new RawHttp(server.api.address().getPort())) {
      client.send(ADD_HEAD + "Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n");

      Answer answer = client.read();

      assertPlainTextLine(
          answer,
          400,
          "invalid request body: the body ended early or its chunked encoding is malformed");
      assertThat(server.pool.backends()).hasSize(3);
    }
  }

  @Test
  void aChunkedBodyWithTrailersIsRead() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool());
        RawHttp client = new RawHttp(server.api.address().getPort())) {
      String body = ADD_BODY;
      client.send(
          ADD_HEAD
              + "Transfer-Encoding: chunked\r\n\r\n"
              + Integer.toHexString(body.length())
              + "\r\n"
              + body
              + "\r\n0\r\nX-Checksum: 1234\r\n\r\n");

      assertThat(client.read().status()).isEqualTo(201);
      assertThat(server.pool.backends()).hasSize(4);
    }
  }

  @Test
  void requestsTheServerCannotParseGetOneLineOfPlainText() throws Exception {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      int port = server.api.address().getPort();
      for (String request :
          List.of(
              "GARBAGE\r\n\r\n",
              "GET /api/v1/backends HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
              "GET /api/v1/backends HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0000b\r\n\r\n",
              ADD_HEAD + "Content-Length: abc\r\n\r\n",
              ADD_HEAD + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
              "GET /api/v1/backends HTTP/1.1\r\n\r\n",
              "GET /%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
              "GET /api/v1/backends/..%2f..%2fetc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
        try (RawHttp client = new RawHttp(port)) {
          Answer answer = client.send(request).read();
          assertThat(answer.status()).as(request).isBetween(400, 505);
          assertThat(answer.contentType()).as(request).isEqualTo("text/plain; charset=utf-8");
          assertThat(answer.body()).as(request).endsWith("\n").doesNotContain("<", "Exception");
          assertThat(answer.body().lines()).as(request).hasSize(1);
        }
      }
    }
  }

  @Test
  void requestsBeyondThoseAtOnceAndQueuedAre503() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService blocking = Executors.newCachedThreadPool();
    // Routes run on an executor that holds the first request until released.
    Executor holdingFirst =
        task ->
            blocking.execute(
                () -> {
                  entered.countDown();
                  try {
                    release.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  task.run();
                });
    try (TestApi server =
        TestApi.start(
            TestApi.guidePool(),
            options ->
                options.maxConcurrentRequests(1).maxQueuedRequests(0).executor(holdingFirst))) {
      CompletableFuture<Reply> first =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return server.get(LIST);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

      Reply busy = promptGet(server);

      assertThat(busy.status()).isEqualTo(503);
      assertThat(busy.contentType()).isEqualTo("text/plain; charset=utf-8");
      assertThat(busy.body())
          .isEqualTo("server busy: too many requests at once, try again later\n");
      release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
    } finally {
      release.countDown();
      blocking.shutdown();
    }
  }

  @Test
  void aQueuedRequestWaitsAtMostTheReadTimeoutThen503() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService blocking = Executors.newCachedThreadPool();
    Executor holdingAll =
        task ->
            blocking.execute(
                () -> {
                  entered.countDown();
                  try {
                    release.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  task.run();
                });
    try (TestApi server =
        TestApi.start(
            TestApi.guidePool(),
            options ->
                options
                    .maxConcurrentRequests(1)
                    .maxQueuedRequests(1)
                    .readTimeout(Duration.ofSeconds(1))
                    .executor(holdingAll))) {
      CompletableFuture<Reply> first =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return server.get(LIST);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

      Reply queued = server.send(server.request(LIST).timeout(Duration.ofSeconds(20)).GET());

      assertThat(queued.status()).isEqualTo(503);
      release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
    } finally {
      release.countDown();
      blocking.shutdown();
    }
  }
}
