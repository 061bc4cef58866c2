import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.CircuitBreakerPolicy;
import dev.melange.pool.Lease;
import dev.melange.pool.Selector;
import java.nio.file.Path;

/**
 * Run by OptionalFailsafeTest in a JVM whose class path has core and its required dependencies
 * but not Failsafe: what an embedder that never added Failsafe sees. Prints one line per step.
 */
public class WithoutFailsafe {
  public static void main(String[] args) throws Exception {
    try (BackendPool pool = BackendPool.fromYaml(Path.of(args[0]))) {
      try (Lease lease = pool.acquire("x86_64", Selector.any())) {
        System.out.println("leased " + lease.backend().addr());
      }
    }
    try (BackendPool pool = BackendPool.fromYaml(Path.of(args[1]))) {
      System.out.println("built from YAML");
    } catch (RuntimeException e) {
      System.out.println("yaml: " + e.getMessage());
    }
    try {
      BackendPool.builder()
          .backend(Backend.of("tcp://a:1234", "x86_64"))
          .circuitBreaker(CircuitBreakerPolicy.Failsafe.defaults());
      System.out.println("builder took it");
    } catch (RuntimeException e) {
      System.out.println("builder: " + e.getMessage());
    }
  }
}
