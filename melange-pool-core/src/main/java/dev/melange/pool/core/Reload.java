package dev.melange.pool.core;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.core.config.PoolSettings;
import dev.melange.pool.core.config.StrategySettings;
import dev.melange.pool.core.health.HealthService;
import dev.melange.pool.core.time.GoDuration;
import dev.melange.pool.spi.HealthProbe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One reload worked out: which slots stay (and with what), which come, which go, and the health
 * subscriptions made for it. {@link LocalBackendPool} prepares it (where anything that can fail
 * fails) and then commits it.
 */
final class Reload {
  final PoolConfig config;

  /** Slots that stay, with their backend as now configured. */
  final Map<Slot, Backend> kept = new LinkedHashMap<>();

  /** Slots that stay under another health check (empty: none), with its subscription. */
  final Map<Slot, Optional<HealthService.Subscription>> resubscribed = new LinkedHashMap<>();

  /** New slots, with their health subscription (empty: no check). */
  final Map<Slot, Optional<HealthService.Subscription>> added = new LinkedHashMap<>();

  /** Slots of backends listed again with another arch: removed at once. */
  final List<Slot> replaced = new ArrayList<>();

  /** Slots an earlier reload set draining, listed again: they take leases again. */
  final List<Slot> relisted = new ArrayList<>();

  /** Slots no longer listed: they drain. */
  final List<Slot> leaving = new ArrayList<>();

  /** The new topology's slots, in the file's order, the leaving ones last. */
  final List<Slot> ordered = new ArrayList<>();

  Reload(PoolConfig config) {
    this.config = config;
  }

  /** Lets go of the subscriptions made, when the reload fails before it commits. */
  void abandon() {
    resubscribed.values().forEach(subscription -> subscription.ifPresent(s -> s.close()));
    added.values().forEach(subscription -> subscription.ifPresent(s -> s.close()));
  }

  /** How many backends the reload changes in any way. */
  int changes() {
    return changed() + added.size() + leaving.size() + relisted.size();
  }

  /** How many backends stay with a change (of any setting or their health check). */
  private int changed() {
    int changed = 0;
    for (Map.Entry<Slot, Backend> entry : kept.entrySet()) {
      Slot slot = entry.getKey();
      Backend backend = entry.getValue();
      int maxJobs = backend.maxJobs() == 0 ? config.settings().defaultMaxJobs() : backend.maxJobs();
      if (!slot.backend.equals(backend)
          || slot.configuredMaxJobs() != maxJobs
          || resubscribed.containsKey(slot)) {
        changed++;
      }
    }
    return changed;
  }

  /**
   * A setting a reload would change that a running pool cannot.
   *
   * @param key the top-level key it is under ({@code affinity} for {@code affinity.loadFactor})
   * @param text {@code <setting>: <problem>}
   */
  record Refusal(String key, String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** What a running pool cannot change; empty when the new configuration changes none of it. */
  static List<Refusal> unchangeable(PoolConfig before, PoolConfig after) {
    PoolSettings was = before.settings();
    PoolSettings now = after.settings();
    List<Refusal> problems = new ArrayList<>();
    if (before.customStrategy() != after.customStrategy()) {
      problems.add(
          refusal("strategy", fixed("strategy", "a custom strategy set in code", "another")));
    } else if (before.customStrategy() == null && !was.strategy().equals(now.strategy())) {
      problems.add(
          refusal(
              "strategy", fixed("strategy", describe(was.strategy()), describe(now.strategy()))));
    }
    if (was.affinityLoadFactor() != now.affinityLoadFactor()) {
      problems.add(
          refusal(
              "affinity",
              fixed(
                  "affinity.loadFactor",
                  String.valueOf(was.affinityLoadFactor()),
                  String.valueOf(now.affinityLoadFactor()))));
    }
    if (!was.slowStart().equals(now.slowStart())) {
      problems.add(
          refusal(
              "slowStart",
              fixed(
                  "slowStart",
                  GoDuration.format(was.slowStart()),
                  GoDuration.format(now.slowStart()))));
    }
    if (before.customBreakers() != after.customBreakers()) {
      problems.add(
          refusal(
              "failureThreshold",
              fixed("circuit breakers", "circuit breakers set in code", "others")));
    } else if (before.customBreakers() == null) {
      if (was.failureThreshold() != now.failureThreshold()) {
        problems.add(
            refusal(
                "failureThreshold",
                fixed(
                    "failureThreshold",
                    String.valueOf(was.failureThreshold()),
                    String.valueOf(now.failureThreshold()))));
      }
      if (!Objects.equals(was.circuitBreaker(), now.circuitBreaker())) {
        problems.add(
            refusal(
                "circuitBreaker",
                "circuitBreaker: cannot change on reload (backends keep their circuits); restart"
                    + " the pool to change it"));
      }
      boolean poolWideSame =
          Objects.equals(was.circuitBreaker(), now.circuitBreaker())
              && was.failureThreshold() == now.failureThreshold()
              && was.recoveryTimeout().equals(now.recoveryTimeout());
      for (Backend backend : now.backends()) {
        String addr = backend.addr();
        // The breaker a kept backend would get, when the pool-wide one (refused above) is not why.
        if (poolWideSame
            && was.backends().stream().anyMatch(b -> b.addr().equals(addr))
            && !was.circuitBreakerOf(addr).equals(now.circuitBreakerOf(addr))) {
          problems.add(
              refusal(
                  "backends",
                  "backends: "
                      + addr
                      + ": circuitBreaker: cannot change on reload (it keeps its circuit); remove"
                      + " the backend and add it again, or restart the pool, to change it"));
        }
      }
      if (!was.recoveryTimeout().equals(now.recoveryTimeout())) {
        problems.add(
            refusal(
                "recoveryTimeout",
                fixed(
                    "recoveryTimeout",
                    GoDuration.format(was.recoveryTimeout()),
                    GoDuration.format(now.recoveryTimeout()))));
      }
    }
    if (was.resilience().mode() != now.resilience().mode()) {
      problems.add(
          refusal(
              "resilience",
              fixed(
                  "resilience",
                  was.resilience().mode().yamlName(),
                  now.resilience().mode().yamlName())));
    }
    for (Backend backend : now.backends()) {
      String addr = backend.addr();
      boolean kept = was.backends().stream().anyMatch(b -> b.addr().equals(addr));
      if (kept
          && (was.resilience().rateLimitOf(addr) == null)
              != (now.resilience().rateLimitOf(addr) == null)) {
        // The bucket sits in front of the backend's breaker, made with it.
        problems.add(
            refusal(
                "backends",
                "backends: "
                    + addr
                    + ": rateLimit: cannot be added or removed on reload (its rate and burst can"
                    + " change); remove the backend and add it again, or restart the pool"));
      }
    }
    if (before.ticker() != after.ticker()) {
      problems.add(
          refusal(
              "ticker",
              "ticker: cannot change on reload (the pool's is kept; build the reload's"
                  + " configuration without a ticker, or with the pool's)"));
    }
    return problems;
  }

  private static Refusal refusal(String key, String text) {
    return new Refusal(key, text);
  }

  private static String fixed(String setting, String was, String now) {
    return setting
        + ": cannot change on reload (from "
        + was
        + " to "
        + now
        + "); restart the pool to change it";
  }

  private static String describe(StrategySettings strategy) {
    String text = strategy.name();
    if (strategy.name().equals(StrategySettings.WEIGHTED_LEAST_REQUEST)) {
      text += " with bias " + strategy.bias();
    } else if (strategy.name().equals(StrategySettings.PEAK_EWMA)) {
      text += " with decay " + GoDuration.format(strategy.decay());
    }
    return text;
  }

  /** Whether the slot follows {@code check} already, with the probe the probes given would make. */
  static boolean sameCheck(
      Slot slot, @Nullable HealthCheck check, Map<String, HealthProbe.Factory> probes) {
    if (!Objects.equals(slot.health.check, check)) {
      return false;
    }
    HealthService.Subscription subscription = slot.health.subscription();
    return check == null
        || (subscription != null
            && subscription.monitor.key.factory() == HealthService.factory(check.type(), probes));
  }

  @Override
  public String toString() {
    return (added.size() - replaced.size())
        + " added, "
        + changed()
        + " changed, "
        + leaving.size()
        + " draining"
        + (replaced.isEmpty() ? "" : ", " + replaced.size() + " replaced (arch changed)");
  }
}
