package dev.melange.pool.core.health;

import dev.melange.pool.Backend;
import dev.melange.pool.HealthCheck;
import dev.melange.pool.spi.HealthProbe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@code tcp} probe: a backend is up when it accepts a connection. The connect is asynchronous,
 * on one channel group shared by every tcp probe in the JVM (one thread); the probe hangs up as
 * soon as the connection is made.
 */
public final class TcpProbe implements HealthProbe {

  public static final HealthProbe.Factory FACTORY =
      new HealthProbe.Factory() {
        @Override
        public String type() {
          return HealthCheck.TCP;
        }

        @Override
        public HealthProbe create(Backend backend, HealthCheck check) {
          return new TcpProbe(ProbeEndpoint.of(backend.addr(), check.port(), HealthCheck.TCP));
        }

        @Override
        public String toString() {
          return "tcp probes";
        }
      };

  private final ProbeEndpoint endpoint;

  TcpProbe(ProbeEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public CompletionStage<Result> check(Duration timeout) {
    if (ProbeLookups.isLiteral(endpoint.host())) {
      return connect(new InetSocketAddress(endpoint.host(), endpoint.port()));
    }
    // A name: resolved off the scheduler's threads, then connected from there. Ending the result
    // early (the pool's timeout cancels it) ends the connect too.
    CompletableFuture<Result> result = new CompletableFuture<>();
    CompletableFuture<Void> unused =
        CompletableFuture.supplyAsync(
                () -> new InetSocketAddress(endpoint.host(), endpoint.port()),
                ProbeLookups.executor())
            .handle(
                (address, failure) -> {
                  if (address == null) {
                    result.complete(Result.down(ProbeFailures.why(failure)));
                  } else if (!result.isDone()) {
                    CompletableFuture<Result> connect = connect(address);
                    CompletableFuture<Result> unusedCancel =
                        result.whenComplete((r, f) -> connect.cancel(true));
                    CompletableFuture<Result> unusedPass =
                        connect.whenComplete(
                            (r, f) ->
                                result.complete(r != null ? r : Result.down(ProbeFailures.why(f))));
                  }
                  return null;
                });
    return result;
  }

  private CompletableFuture<Result> connect(InetSocketAddress address) {
    if (address.isUnresolved()) {
      return CompletableFuture.completedFuture(Result.down("unknown host " + endpoint.host()));
    }
    AsynchronousSocketChannel channel;
    try {
      channel = AsynchronousSocketChannel.open(Group.INSTANCE);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Result> result = new CompletableFuture<>();
    // Also on a timeout's cancel: closing the channel ends the connect.
    CompletableFuture<Result> unused = result.whenComplete((r, failure) -> close(channel));
    try {
      channel.connect(
          address,
          result,
          new CompletionHandler<Void, CompletableFuture<Result>>() {
            @Override
            public void completed(Void nothing, CompletableFuture<Result> outcome) {
              outcome.complete(Result.up());
            }

            @Override
            public void failed(Throwable failure, CompletableFuture<Result> outcome) {
              outcome.complete(Result.down(ProbeFailures.why(failure)));
            }
          });
    } catch (RuntimeException e) {
      result.complete(Result.down(ProbeFailures.why(e)));
    }
    return result;
  }

  private static void close(AsynchronousSocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // A probe's socket: nothing to do about a failed close.
    }
  }

  @Override
  public String toString() {
    return "tcp probe of " + endpoint.authority();
  }

  /** The channel group of every tcp probe, made on first use. */
  private static final class Group {
    static final AsynchronousChannelGroup INSTANCE = create();

    private static AsynchronousChannelGroup create() {
      try {
        return AsynchronousChannelGroup.withFixedThreadPool(
            1, DaemonThreads.named("melange-pool-health-io-"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
