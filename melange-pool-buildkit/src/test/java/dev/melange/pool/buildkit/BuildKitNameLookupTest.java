package dev.melange.pool.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A daemon given by host name: the probe resolves the name itself, off the caller's thread, and
 * follows what the name resolves to. Names here resolve through a test's lookup, to loopback
 * addresses: 127.0.0.2 refuses connections to a daemon bound to 127.0.0.1.
 */
class BuildKitNameLookupTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final String NAME = "buildkitd.test";

  private static InetAddress ip(String literal) throws UnknownHostException {
    return InetAddress.getByName(literal);
  }

  private static int port(FakeBuildKitd daemon) {
    return Integer.parseInt(daemon.addr().substring(daemon.addr().lastIndexOf(':') + 1));
  }

  private static BuildKitProbe probe(int port, BuildKitConnection.Lookup lookup) {
    BuildKitAddress address = BuildKitAddress.parse("tcp://" + NAME + ":" + port);
    return new BuildKitProbe(address, new BuildKitConnection(address, null, lookup));
  }

  private static HealthProbe.Result check(HealthProbe probe) throws Exception {
    return probe.check(TIMEOUT).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aNameThatResolvesIsProbedAtItsAddress() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64");
        HealthProbe probe =
            new BuildKitProbeFactory()
                .create(
                    Backend.of("tcp://localhost:" + port(daemon), "x86_64"),
                    HealthCheck.of(BuildKitProbeFactory.TYPE))) {
      HealthProbe.Result result = check(probe);
      assertThat(result.healthy()).as(result.detail()).isTrue();
      assertThat(result.detail()).isEqualTo("ok: 1 worker, linux/amd64");
    }
  }

  @Test
  void aNameThatDoesNotResolveIsDownForThatReason() throws Exception {
    try (BuildKitProbe probe =
        probe(
            1234,
            host -> {
              throw new UnknownHostException(host + ": Name or service not known");
            })) {
      HealthProbe.Result result = check(probe);
      assertThat(result.healthy()).isFalse();
      assertThat(result.detail()).isEqualTo("unknown host " + NAME);
    }
  }

  @Test
  void lookupsRunOnTheirOwnThreadsAndACheckWaitsForTheOneInFlight() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64")) {
      CountDownLatch answer = new CountDownLatch(1);
      List<String> lookups = new CopyOnWriteArrayList<>();
      try (BuildKitProbe probe =
          probe(
              port(daemon),
              host -> {
                lookups.add(Thread.currentThread().getName());
                try {
                  assertThat(answer.await(30, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return List.of(ip("127.0.0.1"));
              })) {
        // The first check's lookup is held; a second check (the first timed out, say) comes.
        CompletableFuture<HealthProbe.Result> first = probe.check(TIMEOUT).toCompletableFuture();
        CompletableFuture<HealthProbe.Result> second = probe.check(TIMEOUT).toCompletableFuture();
        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        answer.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS).healthy()).isTrue();
        assertThat(second.get(30, TimeUnit.SECONDS).healthy()).isTrue();
        assertThat(lookups).singleElement().asString().startsWith("melange-buildkit-lookup-");
        // Connected: no lookup while the connection holds.
        assertThat(check(probe).healthy()).isTrue();
        assertThat(lookups).hasSize(1);
      }
    }
  }

  @Test
  void aNameWithSeveralAddressesIsTriedAtEachInTurnUntilOneConnects() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64")) {
      List<InetAddress> addresses = List.of(ip("127.0.0.2"), ip("127.0.0.1"));
      try (BuildKitProbe probe = probe(port(daemon), host -> addresses)) {
        HealthProbe.Result first = check(probe);
        assertThat(first.healthy()).isFalse();
        assertThat(first.detail()).startsWith("health: UNAVAILABLE");
        List<Boolean> next = new ArrayList<>();
        while (next.size() < 3 && !next.contains(true)) {
          next.add(check(probe).healthy());
        }
        assertThat(next).as("the checks after").contains(true);
      }
    }
  }

  @Test
  void aNameThatMovesToAnotherAddressIsFollowed() throws Exception {
    try (FakeBuildKitd daemon = FakeBuildKitd.tcp().worker("linux/amd64")) {
      AtomicReference<List<InetAddress>> resolves = new AtomicReference<>(List.of(ip("127.0.0.2")));
      try (BuildKitProbe probe = probe(port(daemon), host -> resolves.get())) {
        assertThat(check(probe).healthy()).isFalse();
        resolves.set(List.of(ip("127.0.0.1")));
        HealthProbe.Result moved = check(probe);
        assertThat(moved.healthy()).as(moved.detail()).isTrue();
      }
    }
  }
}
