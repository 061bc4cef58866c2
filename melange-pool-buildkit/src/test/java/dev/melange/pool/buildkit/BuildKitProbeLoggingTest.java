package dev.melange.pool.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.BackendPool;
import dev.melange.pool.BackendStatus;
import dev.melange.pool.Health;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the buildkit probe leaves in its host's log: nothing, when the probe's result says it. */
class BuildKitProbeLoggingTest {

  @Test
  void hostsThatDoNotResolveAreDownForThatReasonWithoutAWordFromGrpc() throws Exception {
    int backends = 3;
    int checksEach = 6;
    CountedChecks counted = new CountedChecks(backends * checksEach);
    try (GrpcLogRecords grpcLog = new GrpcLogRecords()) {
      BackendPool.Builder builder =
          BackendPool.builder()
              .healthProbe(counted)
              .healthCheck(
                  HealthCheck.of(CountedChecks.TYPE)
                      .withInterval(Duration.ofMillis(100))
                      .withTimeout(Duration.ofSeconds(2))
                      .withJitter(0)
                      .consecutive(1, 1));
      for (int i = 0; i < backends; i++) {
        builder.backend(Backend.of("tcp://no-such-host-" + i + ".invalid:1234", "x86_64"));
      }
      try (BackendPool pool = builder.build()) {
        assertThat(counted.answered.await(60, TimeUnit.SECONDS))
            .as("%s checks answered; status: %s", backends * checksEach, pool.status())
            .isTrue();
        for (BackendStatus status : pool.status()) {
          assertThat(status.health()).isEqualTo(Health.UNHEALTHY);
          assertThat(status.lastProbeResult())
              .isEqualTo("unknown host " + status.addr().replaceAll("^tcp://|:1234$", ""));
        }
      }
      assertThat(grpcLog.warnings()).isEmpty();
    }
  }

  @Test
  void probingADaemonOnAUnixSocketLeavesNoWordFromGrpcOrNetty(@TempDir Path dir) throws Exception {
    CountedChecks counted = new CountedChecks(4);
    try (GrpcLogRecords grpcLog = new GrpcLogRecords();
        FakeBuildKitd daemon =
            FakeBuildKitd.unix(dir.resolve("buildkitd.sock")).worker("linux/amd64");
        BackendPool pool =
            BackendPool.builder()
                .healthProbe(counted)
                .backend(Backend.of(daemon.addr(), "x86_64"))
                .healthCheck(
                    HealthCheck.of(CountedChecks.TYPE)
                        .withInterval(Duration.ofMillis(100))
                        .consecutive(1, 1))
                .build()) {
      assertThat(counted.answered.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(pool.status().get(0).health()).isEqualTo(Health.HEALTHY);
      // netty (shaded under io.grpc) warned of SO_KEEPALIVE, which grpc sets on every connection.
      assertThat(grpcLog.warnings()).isEmpty();
    }
  }

  /** The buildkit probe under another type name, counting the checks that answered. */
  private static final class CountedChecks implements HealthProbe.Factory {
    static final String TYPE = "counted-buildkit";
    final CountDownLatch answered;

    CountedChecks(int checks) {
      answered = new CountDownLatch(checks);
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public HealthProbe create(Backend backend, HealthCheck check) {
      HealthProbe probe = new BuildKitProbeFactory().create(backend, check);
      return new HealthProbe() {
        @Override
        public java.util.concurrent.CompletionStage<Result> check(Duration timeout) {
          return probe.check(timeout).whenComplete((result, failure) -> answered.countDown());
        }

        @Override
        public void close() {
          probe.close();
        }
      };
    }
  }
}
