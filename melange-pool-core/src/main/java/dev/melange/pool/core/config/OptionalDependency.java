package dev.melange.pool.core.config;

/**
 * A library core uses only when a configuration asks for it, declared optional in core's POM
 * ({@code <optional>true</optional>}) and module ({@code requires static}): an embedder that does
 * not use it does not get it. Code that needs one checks {@link #isPresent()} before its first
 * class is touched, and reports {@link #missing(String)} instead of a {@link NoClassDefFoundError}.
 */
public final class OptionalDependency {
  /** Failsafe, for the {@code failsafe} circuit breaker. */
  public static final OptionalDependency FAILSAFE =
      new OptionalDependency(
          "Failsafe", "dev.failsafe:failsafe", "dev.failsafe.core", "dev.failsafe.CircuitBreaker");

  private final String name;
  private final String artifact;
  private final String module;
  private final String probeClass;
  private volatile boolean present;

  private OptionalDependency(String name, String artifact, String module, String probeClass) {
    this.name = name;
    this.artifact = artifact;
    this.module = module;
    this.probeClass = probeClass;
  }

  /**
   * Whether the library can be loaded from core: on the class path, or on the module path and
   * resolved (a {@code requires static} module is resolved only when something asks for it).
   */
  public boolean isPresent() {
    if (present) {
      return true;
    }
    try {
      Class.forName(probeClass, false, OptionalDependency.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return false; // looked for again next time: it may be added to a running layer
    }
    present = true;
    return true;
  }

  /** Why {@code feature} cannot be had: the library, the artifact to add, and how. */
  public String missing(String feature) {
    return feature
        + " needs "
        + name
        + ": add "
        + artifact
        + " to the class path (on the module path, also --add-modules "
        + module
        + ")";
  }
}
