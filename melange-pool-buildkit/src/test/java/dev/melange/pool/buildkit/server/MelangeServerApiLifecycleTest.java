package dev.melange.pool.buildkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.BackendPool;
import dev.melange.pool.NoBackendAvailableException;
import dev.melange.pool.Selector;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Starting, addressing and stopping the server. */
class MelangeServerApiLifecycleTest {

  @Test
  void listensOnLoopbackByDefault() {
    try (BackendPool pool = TestApi.guidePool()) {
      MelangeServerApi api = MelangeServerApi.builder(pool).build();
      assertThat(MelangeServerApi.DEFAULT_LISTEN_ADDRESS).isEqualTo("127.0.0.1:8080");
      assertThatIllegalStateException().isThrownBy(api::address).withMessage("not started");
    }
  }

  @Test
  void portZeroPicksAFreePortAndTheUriSaysWhich() {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      InetSocketAddress address = server.api.address();
      assertThat(address.getPort()).isPositive();
      assertThat(server.api.uri()).hasToString("http://127.0.0.1:" + address.getPort());
    }
  }

  @Test
  void closingStopsTheServerAndClosesThePoolOnlyWhenAsked() throws Exception {
    try (BackendPool pool = TestApi.guidePool()) {
      MelangeServerApi api =
          MelangeServerApi.builder(pool).listenAddress("127.0.0.1:0").build().start();
      HttpRequest request = HttpRequest.newBuilder(api.uri().resolve("/api/v1/backends")).build();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      assertThat(http.send(request, BodyHandlers.ofString()).statusCode()).isEqualTo(200);

      api.close();
      api.close();

      assertThatThrownBy(() -> http.send(request, BodyHandlers.ofString()))
          .isInstanceOf(ConnectException.class);
      assertThat(pool.tryAcquire("x86_64", Selector.any())).isPresent();
      assertThatIllegalStateException().isThrownBy(api::start).withMessage("closed");
    }

    BackendPool owned = TestApi.guidePool();
    MelangeServerApi.builder(owned)
        .listenAddress("127.0.0.1:0")
        .closePoolOnClose(true)
        .build()
        .start()
        .close();
    assertThatThrownBy(() -> owned.acquire("x86_64", Selector.any()))
        .isInstanceOf(NoBackendAvailableException.class);
  }

  @Test
  void startsOnce() {
    try (TestApi server = TestApi.start(TestApi.guidePool())) {
      assertThatIllegalStateException()
          .isThrownBy(server.api::start)
          .withMessage("already started");
    }
  }

  @Test
  void aTakenPortIsAnErrorNamingTheAddress() {
    try (TestApi first = TestApi.start(TestApi.guidePool());
        BackendPool pool = TestApi.guidePool()) {
      String taken = "127.0.0.1:" + first.api.address().getPort();
      MelangeServerApi second = MelangeServerApi.builder(pool).listenAddress(taken).build();
      assertThatThrownBy(second::start)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith("cannot listen on " + taken + ": ");
    }
  }

  @Test
  void runsOnTheCallersExecutorWhenGivenOne() throws Exception {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (TestApi server =
        TestApi.start(TestApi.guidePool(), options -> options.executor(executor))) {
      assertThat(server.get("/api/v1/backends").status()).isEqualTo(200);
    }
    assertThat(executor.isShutdown()).isFalse();
    executor.shutdown();
  }

  @Test
  void listenAddressesReadAsGoReadsThem() throws Exception {
    assertThat(ListenAddress.parse("127.0.0.1:8080"))
        .isEqualTo(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 8080));
    assertThat(ListenAddress.parse("[::1]:0").getAddress().isLoopbackAddress()).isTrue();
    assertThat(ListenAddress.parse("localhost:1").getAddress().isLoopbackAddress()).isTrue();
    assertThat(ListenAddress.parse(":8080").getAddress().isAnyLocalAddress()).isTrue();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ListenAddress.parse("8080"))
        .withMessage("listen address \"8080\": expected host:port, e.g. 127.0.0.1:8080");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ListenAddress.parse("127.0.0.1:http"))
        .withMessage("listen address \"127.0.0.1:http\": the port must be a number");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ListenAddress.parse("127.0.0.1:70000"))
        .withMessage("listen address \"127.0.0.1:70000\": the port must be from 0 to 65535");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ListenAddress.parse("::1:80"))
        .withMessageContaining("brackets");
  }
}
