package dev.melange.pool.core.health;

import dev.melange.pool.Backend;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every health check in the JVM: one {@link HealthMonitor} per physical backend and check settings,
 * shared by every pool (and every configuration of a pool) that lists the backend with those
 * settings, and stopped when the last of them lets go. One scheduler with {@link #THREADS} threads
 * runs every probe; the probes' I/O is asynchronous ({@link TcpProbe}, {@link HttpProbe}), so the
 * threads only start probes and take their results. The threads end after a minute with nothing to
 * do and come back with the next check.
 */
public final class HealthService {
  private static final Logger log = LoggerFactory.getLogger(HealthService.class);

  /** The scheduler's threads: enough to start and finish probes; the I/O waits elsewhere. */
  public static final int THREADS = 2;

  /** The one instance, shared by every pool in the JVM. */
  public static final HealthService SHARED = new HealthService();

  /** The probe types built in. */
  private static final Map<String, HealthProbe.Factory> BUILT_IN =
      Map.of(HealthCheck.TCP, TcpProbe.FACTORY, HealthCheck.HTTP, HttpProbe.FACTORY);

  private final Map<MonitorKey, HealthMonitor> monitors = new ConcurrentHashMap<>();
  private final ScheduledThreadPoolExecutor scheduler;

  private HealthService() {
    scheduler =
        new ScheduledThreadPoolExecutor(THREADS, DaemonThreads.named("melange-pool-health-"));
    scheduler.setKeepAliveTime(1, TimeUnit.MINUTES);
    scheduler.allowCoreThreadTimeOut(true);
    scheduler.setRemoveOnCancelPolicy(true);
  }

  /**
   * The factory for a probe type: the pool's own ({@code custom}), else a built-in one, else one
   * {@link ServiceLoader} finds; null when there is none.
   */
  public static HealthProbe.@Nullable Factory factory(
      String type, Map<String, HealthProbe.Factory> custom) {
    HealthProbe.Factory factory = custom.get(type);
    if (factory == null) {
      factory = BUILT_IN.get(type);
    }
    if (factory == null) {
      factory = Discovered.FACTORIES.get(type);
    }
    return factory;
  }

  /** The probe types known without a pool's own: built in, then found by the service loader. */
  public static List<String> knownTypes() {
    List<String> types = new ArrayList<>(List.of(HealthCheck.TCP, HealthCheck.HTTP));
    Discovered.FACTORIES.keySet().stream().sorted().forEach(types::add);
    return types;
  }

  /**
   * Follows {@code backend}'s health under {@code check}: joins the monitor that already probes it
   * with these settings, or starts one (its first probe at once).
   *
   * @param seed the health a new monitor starts from, or null for the check's own start
   * @return the subscription, with the health to start from
   * @throws IllegalArgumentException when the factory cannot probe this backend
   */
  public Subscription subscribe(
      Backend backend,
      HealthCheck check,
      HealthProbe.Factory factory,
      @Nullable Health seed,
      HealthMonitor.Subscriber subscriber) {
    MonitorKey key = new MonitorKey(backend.addr(), backend.tls(), check, factory);
    HealthMonitor.Observation[] start = new HealthMonitor.Observation[1];
    HealthMonitor monitor =
        monitors.compute(
            key,
            (k, existing) -> {
              HealthMonitor joined = existing;
              if (joined == null) {
                HealthProbe probe = factory.create(backend, check);
                joined = new HealthMonitor(k, probe, scheduler, seed);
                joined.start();
                log.debug("started {}", joined);
              }
              start[0] = joined.add(subscriber);
              return joined;
            });
    return new Subscription(monitor, subscriber, start[0]);
  }

  /** The monitor of a check, if one runs; for tests. */
  @Nullable
  public HealthMonitor monitor(String addr, HealthCheck check, HealthProbe.Factory factory) {
    return monitors.get(new MonitorKey(addr, null, check, factory));
  }

  private void unsubscribe(HealthMonitor monitor, HealthMonitor.Subscriber subscriber) {
    boolean[] last = new boolean[1];
    monitors.computeIfPresent(
        monitor.key,
        (k, current) -> {
          if (current != monitor) {
            return current;
          }
          last[0] = monitor.remove(subscriber);
          return last[0] ? null : monitor;
        });
    if (last[0]) {
      monitor.stop();
      log.debug("stopped {}", monitor);
    }
  }

  /** One pool slot's following of one monitor; closing it lets go (idempotent). */
  public final class Subscription implements AutoCloseable {
    public final HealthMonitor monitor;
    private final HealthMonitor.Subscriber subscriber;
    public final HealthMonitor.Observation start;
    private final AtomicInteger closed = new AtomicInteger();

    Subscription(
        HealthMonitor monitor,
        HealthMonitor.Subscriber subscriber,
        HealthMonitor.Observation start) {
      this.monitor = monitor;
      this.subscriber = subscriber;
      this.start = start;
    }

    public HealthMonitor.Subscriber subscriber() {
      return subscriber;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(0, 1)) {
        unsubscribe(monitor, subscriber);
      }
    }
  }

  /** The factories {@link ServiceLoader} finds, loaded once, by type (the first of a type wins). */
  private static final class Discovered {
    static final Map<String, HealthProbe.Factory> FACTORIES = load();

    private static Map<String, HealthProbe.Factory> load() {
      Map<String, HealthProbe.Factory> found = new ConcurrentHashMap<>();
      ServiceLoader<HealthProbe.Factory> loader =
          ServiceLoader.load(HealthProbe.Factory.class, HealthService.class.getClassLoader());
      for (HealthProbe.Factory factory : loader) {
        if (!BUILT_IN.containsKey(factory.type())) {
          found.putIfAbsent(factory.type(), factory);
        }
      }
      return Map.copyOf(found);
    }
  }
}
