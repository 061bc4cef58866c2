package dev.melange.pool;

import dev.melange.pool.internal.DisplayText;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A backend as configured: where it is, which architecture it builds for, how many jobs it may run
 * at once, and the labels selectors match against. Immutable.
 *
 * <p>What a backend may be is checked here, for every way one is made (in code, from YAML, over
 * melange-server's HTTP API): a well-formed address ({@link #canonicalAddr}), an arch and labels
 * within their limits, and no control characters in any of them (C0 such as NUL, newline and ESC,
 * DEL, C1, the bidi controls {@code U+061C}, {@code U+200E}, {@code U+200F}, {@code U+202A}–{@code
 * U+202E}, {@code U+2066}–{@code U+2069}, and the line and paragraph separators {@code U+2028},
 * {@code U+2029}): these values end up in logs and terminals, where such characters forge lines or
 * rewrite what an operator reads. Messages show a refused value escaped ({@code \n}, {@code
 * \u001b}) and cut when long.
 *
 * @param addr the backend's address, for example {@code tcp://buildkit-x86:1234}; its identity in
 *     the pool. Held in canonical form ({@link #canonicalAddr}): the scheme, and a network host, in
 *     lower case; at most {@link #MAX_ADDR_LENGTH} characters
 * @param arch the architecture it builds for, for example {@code x86_64} or {@code aarch64};
 *     matched exactly, at most {@link #MAX_ARCH_LENGTH} characters, without white space around it.
 *     Empty ({@link #discover}) when the pool is to learn it from the backend's health probe (one
 *     whose {@link dev.melange.pool.spi.HealthProbe.Factory#discoversArch}, such as {@code
 *     buildkit}): the backend takes no lease until the probe has named it. An arch melange does not
 *     know ({@code amd64} for {@code x86_64}, say) is taken, and the pool warns about it
 * @param maxJobs the most jobs it may run at once; 0 means the pool's {@code defaultMaxJobs}
 * @param labels key-value pairs for {@link Selector}s, in the order given: at most {@link
 *     #MAX_LABELS}, keys of at most {@link #MAX_LABEL_KEY_LENGTH} characters, values of at most
 *     {@link #MAX_LABEL_VALUE_LENGTH}
 * @param weight its share relative to the others of its arch, for the weighted strategies and for
 *     affinity; 1 by default, from 1 to {@link #MAX_WEIGHT}
 * @param backup whether this is a backup backend: it takes a lease only when no primary backend
 *     that matches can take it right now (all full or refused by their circuit breakers); as soon
 *     as a primary can, primaries win again
 * @param allowEmulated whether it also takes jobs for the archs its daemon runs under emulation (as
 *     its health probe reports them), behind every backend of those archs that builds natively,
 *     backups included
 * @param tls how to reach it over TLS, or null for plain text
 */
public record Backend(
    String addr,
    String arch,
    int maxJobs,
    Map<String, String> labels,
    int weight,
    boolean backup,
    boolean allowEmulated,
    @Nullable Tls tls) {

  /** The largest {@code maxJobs} a backend may have: far beyond any real daemon. */
  public static final int MAX_JOBS_LIMIT = 1_000_000;

  /** The largest {@code weight} a backend may have. */
  public static final int MAX_WEIGHT = 1_000_000;

  /** The longest address, in characters (UTF-16 code units, as {@link String#length()}). */
  public static final int MAX_ADDR_LENGTH = 512;

  /** The longest arch, in characters. */
  public static final int MAX_ARCH_LENGTH = 64;

  /** The most labels a backend may have. */
  public static final int MAX_LABELS = 64;

  /** The longest label key, in characters. */
  public static final int MAX_LABEL_KEY_LENGTH = 128;

  /** The longest label value, in characters. */
  public static final int MAX_LABEL_VALUE_LENGTH = 256;

  /**
   * Validates and copies; the address is kept in canonical form.
   *
   * @throws IllegalArgumentException naming the field and showing the value: {@code addr is
   *     required} when blank, or what {@link #canonicalAddr} refuses; {@code arch is required} when
   *     blank but not empty, an arch longer than {@link #MAX_ARCH_LENGTH}, with white space around
   *     it or with a control character; {@code maxJobs must be >= 0, was <n>} when negative, {@code
   *     maxJobs must be <= 1000000, was <n>} when above {@link #MAX_JOBS_LIMIT}, {@code weight must
   *     be >= 1, was <n>} or {@code weight must be <= 1000000, was <n>}; more than {@link
   *     #MAX_LABELS} labels, a blank label key, a key or value beyond its length limit or with a
   *     control character
   * @throws NullPointerException when {@code labels}, or a label key or value, is null
   */
  public Backend {
    requireText(addr, "addr is required");
    addr = BackendAddress.canonical(addr);
    requireArch(arch);
    if (maxJobs < 0) {
      throw new IllegalArgumentException("maxJobs must be >= 0, was " + maxJobs);
    }
    if (maxJobs > MAX_JOBS_LIMIT) {
      throw new IllegalArgumentException(
          "maxJobs must be <= " + MAX_JOBS_LIMIT + ", was " + maxJobs);
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, was " + weight);
    }
    if (weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight must be <= " + MAX_WEIGHT + ", was " + weight);
    }
    labels = copyLabels(labels);
  }

  /**
   * A primary (not backup) backend of weight 1.
   *
   * @throws IllegalArgumentException as the canonical constructor
   */
  public Backend(String addr, String arch, int maxJobs, Map<String, String> labels) {
    this(addr, arch, maxJobs, labels, 1, false);
  }

  /**
   * A backend reached in plain text that takes jobs for its own arch only.
   *
   * @throws IllegalArgumentException as the canonical constructor
   */
  public Backend(
      String addr,
      String arch,
      int maxJobs,
      Map<String, String> labels,
      int weight,
      boolean backup) {
    this(addr, arch, maxJobs, labels, weight, backup, false, null);
  }

  /**
   * A backend with no labels and the pool's default {@code maxJobs}.
   *
   * @throws IllegalArgumentException {@code addr is required} or {@code arch is required} when null
   *     or blank, or as the canonical constructor
   */
  public static Backend of(String addr, String arch) {
    return new Backend(addr, arch, 0, Map.of());
  }

  /**
   * A backend with no labels and the pool's default {@code maxJobs} whose arch the pool learns from
   * its health probe, which must be one that discovers it ({@code buildkit}).
   *
   * @throws IllegalArgumentException {@code addr is required} when null or blank, or as {@link
   *     #canonicalAddr}
   */
  public static Backend discover(String addr) {
    return new Backend(addr, "", 0, Map.of());
  }

  /**
   * The canonical form of an address, the one a {@code Backend} holds: checked as the constructor
   * checks it, and written one way for one daemon: the scheme, and the host of a network address
   * ({@code tcp}, {@code http}, {@code https}, {@code ssh}), in lower case; a bare {@code
   * host:port} as {@code tcp://host:port}; an IPv6 address as RFC 5952 writes it ({@code [::1]}),
   * an IPv4-mapped one as its IPv4 address; no default port ({@code http://h} for {@code
   * http://h:80}, likewise 443 for https and 22 for ssh); a unix socket's path without {@code //},
   * {@code /./} or {@code dir/..}; the rest (a port, a path's letters, a container's name) as
   * written. Two addresses name the same backend exactly when their canonical forms are equal, so
   * {@code tcp://x1:1234}, {@code TCP://X1:1234} and {@code x1:1234} cannot both be in a pool, and
   * the pool finds a backend by any of them ({@link BackendPool#remove}, the builder's per-backend
   * settings).
   *
   * <p>The forms: {@code host:port} (tcp, as melange-server reads it); {@code tcp://host[:port]}
   * (without a port, one must come from elsewhere, such as a health check's {@code port}); {@code
   * unix:///absolute/path}; {@code http://} and {@code https://[user@]host[:port][/path]};
   * BuildKit's connection helpers {@code docker-container://name}, {@code podman-container://name},
   * {@code nerdctl-container://name}, {@code kube-pod://name} (each with an optional {@code
   * ?key=value&...}) and {@code ssh://[user@]host[:port][/socket]}. A host is a DNS name (letters,
   * digits, {@code -} and {@code _}), an IPv4 address, or an IPv6 address in brackets ({@code
   * [::1]:1234}); a port is 1 to 65535.
   *
   * @throws IllegalArgumentException {@code addr "<addr>": <problem>} for an address of another
   *     form (an unknown scheme, no host, a port out of range, a relative unix path, white space in
   *     the host), or one longer than {@link #MAX_ADDR_LENGTH}, with white space around it, or with
   *     a control character; the address shown escaped and cut
   */
  public static String canonicalAddr(String addr) {
    requireText(addr, "addr is required");
    return BackendAddress.canonical(addr);
  }

  /** Whether the pool is to learn its arch from its health probe (its {@code arch} is empty). */
  public boolean discoversArch() {
    return arch.isEmpty();
  }

  /**
   * A copy with another arch; empty to learn it from the health probe.
   *
   * @throws IllegalArgumentException {@code arch is required} when blank but not empty, or an arch
   *     the canonical constructor refuses
   */
  public Backend withArch(String arch) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy with another {@code maxJobs}.
   *
   * @param maxJobs the most jobs at once; 0 means the pool's default
   * @throws IllegalArgumentException {@code maxJobs must be >= 0, was <n>} when negative, or above
   *     {@link #MAX_JOBS_LIMIT}
   */
  public Backend withMaxJobs(int maxJobs) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy with other labels (replacing, not merging).
   *
   * @throws IllegalArgumentException for labels the canonical constructor refuses (too many, a
   *     blank key, too long, a control character)
   * @throws NullPointerException when {@code labels}, or a key or value, is null
   */
  public Backend withLabels(Map<String, String> labels) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy with another weight.
   *
   * @throws IllegalArgumentException {@code weight must be >= 1, was <n>}, or above {@link
   *     #MAX_WEIGHT}
   */
  public Backend withWeight(int weight) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /** A copy that is (or is not) a backup backend. */
  public Backend withBackup(boolean backup) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /**
   * A copy that does (or does not) take jobs for the archs its daemon emulates, behind the native
   * backends of those archs.
   */
  public Backend withAllowEmulated(boolean allowEmulated) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  /** A copy reached over TLS with these settings; null for plain text. */
  public Backend withTls(@Nullable Tls tls) {
    return new Backend(addr, arch, maxJobs, labels, weight, backup, allowEmulated, tls);
  }

  // Defends against callers outside @NullMarked code, which the type system cannot stop.
  @SuppressWarnings("NullAway")
  private static void requireArch(String arch) {
    if (arch == null || (arch.isBlank() && !arch.isEmpty())) {
      throw new IllegalArgumentException("arch is required");
    }
    requireShortPlainText("arch", arch, MAX_ARCH_LENGTH);
  }

  /**
   * Refuses text beyond {@code max} characters, with a control character, or with white space
   * around it, naming {@code what}.
   */
  private static void requireShortPlainText(String what, String text, int max) {
    requireLength(what, text, max);
    requireNoControl(what, text);
    if (DisplayText.hasSurroundingSpace(text)) {
      throw new IllegalArgumentException(
          what + " must not start or end with white space, was " + DisplayText.quoted(text));
    }
  }

  // Defends against callers outside @NullMarked code, which the type system cannot stop.
  @SuppressWarnings("NullAway")
  private static void requireText(String value, String message) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(message);
    }
  }

  private static Map<String, String> copyLabels(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return Map.of();
    }
    if (labels.size() > MAX_LABELS) {
      throw new IllegalArgumentException(
          "labels must be at most " + MAX_LABELS + ", was " + labels.size());
    }
    if (labels.size() == 1) {
      // One label is the common case; Map.of keeps it in 24 bytes instead of a LinkedHashMap's
      // 150, which matters at thousands of backends, and order is trivially kept.
      Map.Entry<String, String> only = labels.entrySet().iterator().next();
      checkLabel(only.getKey(), only.getValue());
      return Map.of(only.getKey(), only.getValue());
    }
    Map<String, String> copy = new LinkedHashMap<>(labels.size() * 2);
    labels.forEach(
        (key, value) -> {
          checkLabel(key, value);
          copy.put(key, value);
        });
    return Collections.unmodifiableMap(copy);
  }

  // Defends against callers outside @NullMarked code, which the type system cannot stop.
  @SuppressWarnings("NullAway")
  private static void checkLabel(String key, String value) {
    if (key == null || value == null) {
      throw new NullPointerException(
          "label "
              + (key == null ? "null" : DisplayText.shown(key))
              + "="
              + (value == null ? "null" : DisplayText.shown(value))
              + ": null key or value");
    }
    if (key.isBlank()) {
      throw new IllegalArgumentException(
          "label key must not be blank, was " + DisplayText.quoted(key));
    }
    requireLength("label key", key, MAX_LABEL_KEY_LENGTH);
    requireNoControl("label key", key);
    String ofKey = "label value of " + DisplayText.quoted(key);
    requireLength(ofKey, value, MAX_LABEL_VALUE_LENGTH);
    requireNoControl(ofKey, value);
  }

  private static void requireLength(String what, String text, int max) {
    if (text.length() > max) {
      throw new IllegalArgumentException(
          what
              + " must be at most "
              + max
              + " characters, was "
              + text.length()
              + ": "
              + DisplayText.quoted(text));
    }
  }

  private static void requireNoControl(String what, String text) {
    if (DisplayText.firstControl(text) >= 0) {
      throw new IllegalArgumentException(
          what + " must not contain control characters, was " + DisplayText.quoted(text));
    }
  }
}
