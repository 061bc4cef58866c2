package dev.melange.pool.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.melange.pool.Health;
import dev.melange.pool.PoolEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildFarmDemoTest {
  @TempDir Path dir;

  /** examples/backends.yaml with free ports instead of its own, so that runs cannot collide. */
  private Path backendsOnFreePorts() throws IOException {
    String yaml = Files.readString(Path.of("backends.yaml"));
    Matcher port = Pattern.compile("tcp://127\\.0\\.0\\.1:\\d+").matcher(yaml);
    StringBuilder moved = new StringBuilder();
    // Each socket stays open until every port is chosen: a port closed at once may come again.
    List<ServerSocket> held = new ArrayList<>();
    try {
      while (port.find()) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(socket);
        port.appendReplacement(moved, "tcp://127.0.0.1:" + socket.getLocalPort());
      }
    } finally {
      for (ServerSocket socket : held) {
        socket.close();
      }
    }
    port.appendTail(moved);
    Path file = dir.resolve("backends.yaml");
    Files.writeString(file, moved);
    return file;
  }

  @Test
  void aFastRunAccountsForEveryBuildAndTellsTheStory() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BuildFarmDemo demo = new BuildFarmDemo();
    demo.config = backendsOnFreePorts();
    demo.builds = 120;
    demo.fast = true;
    demo.view = BuildFarmDemo.View.PLAIN;
    demo.output(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    BuildFarmDemo.Result result = demo.run();
    String output = bytes.toString(StandardCharsets.UTF_8);

    assertThat(result.accountedFor()).as(output).isTrue();
    assertThat(result.planned()).isEqualTo(120);
    assertThat(result.built() + result.gaveUp()).isEqualTo(120);
    assertThat(result.leasesStillOut()).isZero();
    // Four tries, pausing in between, at a 3% failure rate: a build is given up only when the
    // dead daemon failed it before the pool saw it dead, and flakes did the rest.
    assertThat(result.gaveUp()).as(output).isLessThanOrEqualTo(2);
    // amd64-2 takes aarch64 builds under emulation when the aarch64 backends are full, and only
    // amd64-2 does.
    assertThat(result.emulatedByHost()).as(output).containsOnlyKeys(result.builtByHost().keySet());
    assertThat(result.emulatedByHost().get("amd64-2")).as(output).isPositive();
    result
        .emulatedByHost()
        .forEach(
            (host, emulated) -> {
              if (!host.equals("amd64-2")) {
                assertThat(emulated).as(host).isZero();
              }
            });
    assertThat(result.builtByHost().values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(result.built());
    // The killed daemon's running builds failed and were retried.
    assertThat(result.failedByHost().get("amd64-1")).as(output).isPositive();
    assertThat(result.retried()).isPositive();
    // Every machine built something: the backup while amd64-1 was down, arm64-2 before its drain.
    assertThat(result.builtByHost())
        .as(output)
        .allSatisfy((host, built) -> assertThat(built).isPositive());

    Map<String, String> addrs = invert(result.hosts());
    List<PoolEvent> events = result.events();
    int down = indexOf(events, healthTo(addrs.get("amd64-1"), Health.UNHEALTHY));
    int opened =
        indexOf(
            events,
            event ->
                event instanceof PoolEvent.CircuitOpened e
                    && e.addr().equals(addrs.get("amd64-1")));
    int drained =
        indexOf(
            events,
            event ->
                event instanceof PoolEvent.BackendDrained e
                    && e.addr().equals(addrs.get("arm64-2")));
    int back = indexOf(events, healthTo(addrs.get("amd64-1"), Health.HEALTHY));
    int closed =
        indexOf(
            events,
            event ->
                event instanceof PoolEvent.CircuitClosed e
                    && e.addr().equals(addrs.get("amd64-1")));
    assertThat(down).as(output).isNotNegative();
    assertThat(opened).as(output).isNotNegative();
    assertThat(drained).as(output).isGreaterThan(down);
    assertThat(back).as(output).isGreaterThan(drained);
    // A trial build on the returned daemon succeeded: it builds again.
    assertThat(closed).as(output).isGreaterThan(back);

    assertThat(output)
        .contains("curl -s http://127.0.0.1:")
        .contains("KILL", "DRAIN", "START", "WAVE 3")
        .contains("Summary", "p99 wait", "affinity:", "Events, in order")
        .contains("Every build accounted for: ");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void aBackendTheDemoCannotSimulateIsRefusedByName() throws Exception {
    Path file = dir.resolve("backends.yaml");
    Files.writeString(
        file,
        "backends:\n  - addr: tcp://127.0.0.1:"
            + freePort()
            + "\n    arch: x86_64\n    labels:\n      host: mainframe\n");
    BuildFarmDemo demo = new BuildFarmDemo();
    demo.config = file;
    demo.output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThatThrownBy(demo::run)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label host must name a machine the demo simulates")
        .hasMessageContaining("was \"mainframe\"");
  }

  @Test
  void aRunWithALeaseStillOutOrABuildMissingIsNotAccountedFor() {
    assertThat(twoPlanned(2, 0).accountedFor()).isTrue();
    assertThat(twoPlanned(2, 1).accountedFor()).as("a lease still out").isFalse();
    assertThat(twoPlanned(1, 0).accountedFor()).as("a build neither built nor given up").isFalse();
  }

  /** A run of two planned builds, of which {@code built} were built, none given up. */
  private static BuildFarmDemo.Result twoPlanned(int built, int leasesStillOut) {
    return new BuildFarmDemo.Result(
        2,
        2,
        built,
        0,
        0,
        Map.of("a", built),
        Map.of("a", 0),
        Map.of("a", 0),
        0,
        0,
        0,
        leasesStillOut,
        List.of(),
        Map.of());
  }

  private static Predicate<PoolEvent> healthTo(String addr, Health health) {
    return event ->
        event instanceof PoolEvent.HealthChanged e && e.addr().equals(addr) && e.to() == health;
  }

  private static int indexOf(List<PoolEvent> events, Predicate<PoolEvent> wanted) {
    for (int i = 0; i < events.size(); i++) {
      if (wanted.test(events.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static Map<String, String> invert(Map<String, String> map) {
    Map<String, String> inverted = new java.util.HashMap<>();
    map.forEach((key, value) -> inverted.put(value, key));
    return inverted;
  }
}
