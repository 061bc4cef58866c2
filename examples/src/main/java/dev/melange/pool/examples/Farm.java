package dev.melange.pool.examples;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * The simulated machines behind a pool's backends: one {@link SimulatedBuildKitd} per backend,
 * chosen by the backend's {@code host} label and listening on the port of its address.
 */
final class Farm implements AutoCloseable {
  /** A machine of the farm: what it is (its platforms) and how fast it builds. */
  record Spec(List<String> platforms, double slowdown) {}

  /** The machines the demo can simulate, by host name. */
  static final Map<String, Spec> SPECS =
      new TreeMap<>(
          Map.of(
              "amd64-1", new Spec(List.of("linux/amd64", "linux/amd64/v2", "linux/amd64/v3"), 1.0),
              // QEMU's binfmt handlers installed: it also builds for arm64, slowly.
              "amd64-2", new Spec(List.of("linux/amd64", "linux/amd64/v2", "linux/arm64"), 1.0),
              "amd64-spare", new Spec(List.of("linux/amd64"), 1.3), // an older machine
              "arm64-1", new Spec(List.of("linux/arm64"), 1.15),
              "arm64-2", new Spec(List.of("linux/arm64"), 1.15)));

  /** A backend of the pool and the daemon that plays it. */
  record Machine(String host, String addr, SimulatedBuildKitd daemon) {}

  private final List<Machine> machines;

  private Farm(List<Machine> machines) {
    this.machines = List.copyOf(machines);
  }

  /**
   * The farm for the backends of a pool's configuration file; nothing runs until {@link #start}.
   * The daemons must be up before the pool that routes to them starts probing, so the file is read
   * (and checked) once here, by a pool that is closed at once.
   *
   * @throws dev.melange.pool.PoolConfigException when the file is wrong
   * @throws IllegalArgumentException when a backend is not one the demo can simulate: no {@code
   *     host} label of {@link #SPECS}, or an address that is not {@code tcp://127.0.0.1:<port>}
   */
  static Farm fromConfig(Path config, double failureRate) {
    List<Backend> backends;
    try (BackendPool reading = BackendPool.fromYaml(config)) {
      backends = reading.backends();
    }
    List<Machine> machines = new ArrayList<>();
    for (Backend backend : backends) {
      String host = backend.labels().getOrDefault("host", "");
      Spec spec = SPECS.get(host);
      if (spec == null) {
        throw new IllegalArgumentException(
            "backend "
                + backend.addr()
                + ": label host must name a machine the demo simulates ("
                + String.join(", ", SPECS.keySet())
                + "), was \""
                + host
                + "\"");
      }
      URI uri = URI.create(backend.addr());
      if (!"tcp".equals(uri.getScheme())
          || !"127.0.0.1".equals(uri.getHost())
          || uri.getPort() <= 0) {
        throw new IllegalArgumentException(
            "backend "
                + backend.addr()
                + ": the demo simulates daemons at tcp://127.0.0.1:<port> only");
      }
      machines.add(
          new Machine(
              host,
              backend.addr(),
              new SimulatedBuildKitd(
                  host, uri.getPort(), spec.platforms(), spec.slowdown(), failureRate)));
    }
    return new Farm(machines);
  }

  /** Starts every daemon. */
  void start() {
    for (Machine machine : machines) {
      machine.daemon().start();
    }
  }

  List<Machine> machines() {
    return machines;
  }

  Machine machine(String host) {
    return machines.stream()
        .filter(machine -> machine.host().equals(host))
        .findFirst()
        .orElseThrow(() -> new NoSuchElementException("no machine " + host + " in the farm"));
  }

  Map<String, SimulatedBuildKitd> daemonsByAddr() {
    Map<String, SimulatedBuildKitd> daemons = new LinkedHashMap<>();
    machines.forEach(machine -> daemons.put(machine.addr(), machine.daemon()));
    return daemons;
  }

  Map<String, String> hostsByAddr() {
    Map<String, String> hosts = new LinkedHashMap<>();
    machines.forEach(machine -> hosts.put(machine.addr(), machine.host()));
    return hosts;
  }

  @Override
  public void close() {
    machines.forEach(machine -> machine.daemon().close());
  }
}
