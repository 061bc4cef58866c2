package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.core.health.HealthMonitor;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.core.health.ProbeLookups;
import dev.melange.pool.core.health.TcpProbe;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A thousand backends probed every 100 ms by the one scheduler: every backend keeps being probed,
 * and the probing threads stay a small fixed number. Prints the threads and their CPU time (the
 * closing note of issue 5 quotes it).
 */
class HealthScaleTest {
  private static final int BACKENDS = 1_000;
  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final long RUN_MILLIS = 4_000;

  @Test
  void aThousandBackendsProbedEvery100msByAFewThreads() throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      // Every 127.x.y.z is loopback on Linux: one listener on the wildcard address serves a
      // thousand distinct backend addresses.
      server.bind(new InetSocketAddress(0), 4096);
      int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
      AtomicLong accepted = new AtomicLong();
      Thread acceptor = new Thread(() -> acceptAll(server, accepted), "test-scale-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();

      List<String> addrs = new ArrayList<>();
      BackendPool.Builder builder =
          BackendPool.builder()
              .healthCheck(
                  HealthCheck.tcp().withInterval(INTERVAL).withTimeout(Duration.ofSeconds(2)));
      for (int i = 0; i < BACKENDS; i++) {
        String addr = "tcp://127.1." + (i / 250) + "." + (i % 250 + 1) + ":" + port;
        addrs.add(addr);
        builder.backend(Backend.of(addr, "x86_64"));
      }
      long cpuBefore = processCpuNanos();
      long started = System.nanoTime();
      try (BackendPool pool = builder.build()) {
        Thread.sleep(RUN_MILLIS);
        long elapsedNanos = System.nanoTime() - started;
        long cpu = processCpuNanos() - cpuBefore;

        List<String> healthThreads = new ArrayList<>();
        long healthCpu = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
          if (info != null && info.getThreadName().startsWith("melange-pool-health")) {
            healthThreads.add(info.getThreadName());
            healthCpu += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
          }
        }
        long least = Long.MAX_VALUE;
        long total = 0;
        HealthCheck check =
            HealthCheck.tcp().withInterval(INTERVAL).withTimeout(Duration.ofSeconds(2));
        for (String addr : addrs) {
          HealthMonitor monitor = HealthService.SHARED.monitor(addr, check, TcpProbe.FACTORY);
          assertThat(monitor).as(addr).isNotNull();
          least = Math.min(least, monitor.probes());
          total += monitor.probes();
        }
        long unhealthy =
            pool.status().stream()
                .map(BackendStatus::health)
                .filter(h -> h != Health.HEALTHY)
                .count();
        System.out.printf(
            "health scale: %d backends every %d ms for %.1f s: %,d probes (%,d accepted), fewest"
                + " per backend %d, not healthy %d; %d probe threads %s, their CPU %.2f s; process"
                + " CPU %.2f s%n",
            BACKENDS,
            INTERVAL.toMillis(),
            elapsedNanos / 1e9,
            total,
            accepted.get(),
            least,
            unhealthy,
            healthThreads.size(),
            healthThreads,
            healthCpu / 1e9,
            cpu / 1e9);

        // At 100 ms (+ up to 20% jitter) a backend is probed about 8 times a second; on a slow,
        // shared machine far fewer still shows that none is starved.
        assertThat(least).as("fewest probes of one backend").isGreaterThanOrEqualTo(5);
        assertThat(unhealthy).isZero();
        // A fixed number whatever the backends: the scheduler, the tcp channel group, and (left
        // from other tests in this JVM, idle) the http client's executor and the lookup threads.
        assertThat(healthThreads.size())
            .isLessThanOrEqualTo(HealthService.THREADS + 1 + 1 + ProbeLookups.THREADS);
      }
      // No pool needs them any more: every probe stopped.
      for (String addr : addrs) {
        assertThat(
                HealthService.SHARED.monitor(
                    addr,
                    HealthCheck.tcp().withInterval(INTERVAL).withTimeout(Duration.ofSeconds(2)),
                    TcpProbe.FACTORY))
            .isNull();
      }
    }
  }

  private static void acceptAll(ServerSocketChannel server, AtomicLong accepted) {
    while (server.isOpen()) {
      try {
        server.accept().close(); // the connect is the probe: accepted and closed at once
        accepted.incrementAndGet();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private static long processCpuNanos() {
    return ProcessHandle.current()
        .info()
        .totalCpuDuration()
        .map(d -> TimeUnit.NANOSECONDS.convert(d))
        .orElse(0L);
  }
}
