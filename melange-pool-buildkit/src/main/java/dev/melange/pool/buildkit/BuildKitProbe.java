package dev.melange.pool.buildkit;

import dev.melange.pool.buildkit.proto.ControlGrpc;
import dev.melange.pool.buildkit.proto.ListWorkersRequest;
import dev.melange.pool.buildkit.proto.ListWorkersResponse;
import dev.melange.pool.buildkit.proto.Platform;
import dev.melange.pool.spi.HealthProbe;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The {@code buildkit} probe of one daemon, over one gRPC channel kept for its life. A check asks
 * {@code grpc.health.v1.Health/Check} (SERVING is up; UNIMPLEMENTED is up too: daemons before v0.13
 * do not register the service, and answering at all proves the server is up), then {@code
 * moby.buildkit.v1.Control/ListWorkers}: a daemon whose controller has no worker yet is not ready
 * (its listener opens before the controller is, so a connect alone says too little). The two calls
 * share one deadline, the check's timeout. Never {@code DiskUsage}: it walks the build cache.
 */
final class BuildKitProbe implements HealthProbe {
  private final BuildKitAddress address;
  private final ManagedChannel channel;
  private final HealthGrpc.HealthStub health;
  private final ControlGrpc.ControlStub control;

  BuildKitProbe(BuildKitAddress address, @Nullable BuildKitTls tls) {
    this.address = address;
    this.channel = BuildKitChannels.open(address, tls);
    this.health = HealthGrpc.newStub(channel);
    this.control = ControlGrpc.newStub(channel);
  }

  @Override
  public CompletionStage<Result> check(Duration timeout) {
    // One deadline for the whole check: both calls together fit in the timeout.
    Deadline deadline = Deadline.after(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS);
    CompletableFuture<Result> result = new CompletableFuture<>();
    health
        .withDeadline(deadline)
        .check(
            HealthCheckRequest.getDefaultInstance(),
            new Answer<HealthCheckResponse>(result) {
              @Override
              void answered(HealthCheckResponse response) {
                if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                  listWorkers(deadline, result);
                } else {
                  result.complete(Result.down("health: " + response.getStatus()));
                }
              }

              @Override
              void failed(Status status) {
                if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                  listWorkers(deadline, result); // a daemon older than v0.13
                } else {
                  result.complete(Result.down(describe("health", status)));
                }
              }
            });
    return result;
  }

  private void listWorkers(Deadline deadline, CompletableFuture<Result> result) {
    if (result.isDone()) {
      return; // cancelled (timed out) meanwhile
    }
    control
        .withDeadline(deadline)
        .listWorkers(
            ListWorkersRequest.getDefaultInstance(),
            new Answer<ListWorkersResponse>(result) {
              @Override
              void answered(ListWorkersResponse response) {
                if (response.getRecordCount() == 0) {
                  result.complete(Result.down("no workers"));
                  return;
                }
                int workers = response.getRecordCount();
                String nativePlatform =
                    response.getRecord(0).getPlatformsCount() == 0
                        ? "no platform"
                        : platform(response.getRecord(0).getPlatforms(0));
                result.complete(
                    Result.up(
                        "ok: "
                            + workers
                            + (workers == 1 ? " worker, " : " workers, ")
                            + nativePlatform));
              }

              @Override
              void failed(Status status) {
                result.complete(Result.down(describe("list workers", status)));
              }
            });
  }

  /** {@code linux/arm64/v8}: OS, architecture, and the variant when there is one. */
  static String platform(Platform platform) {
    String text = platform.getOS() + "/" + platform.getArchitecture();
    return platform.getVariant().isEmpty() ? text : text + "/" + platform.getVariant();
  }

  /**
   * {@code health: UNAVAILABLE (io exception: <why>)}, on one line: the first line of grpc's
   * description, and the message of the failure's root cause, which says what went wrong where grpc
   * says only "io exception" or "ssl exception" (a certificate that does not check out, a daemon
   * that wants a client certificate).
   */
  private static String describe(String call, Status status) {
    String description = firstLine(status.getDescription());
    Throwable root = status.getCause();
    while (root != null && root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String cause = root == null ? "" : firstLine(root.getMessage());
    if (!cause.isEmpty() && !description.contains(cause)) {
      description = description.isEmpty() ? cause : description + ": " + cause;
    }
    return call + ": " + status.getCode() + (description.isEmpty() ? "" : " (" + description + ")");
  }

  private static String firstLine(@Nullable String text) {
    if (text == null) {
      return "";
    }
    int end = text.indexOf('\n');
    return (end < 0 ? text : text.substring(0, end)).strip();
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }

  @Override
  public String toString() {
    return "buildkit probe of " + address;
  }

  /** One call's answer: a value, or a failure as a status. */
  private abstract static class Answer<T> implements StreamObserver<T> {
    private final CompletableFuture<Result> result;

    Answer(CompletableFuture<Result> result) {
      this.result = result;
    }

    abstract void answered(T response);

    abstract void failed(Status status);

    @Override
    public void onNext(T response) {
      try {
        answered(response);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public void onError(Throwable error) {
      failed(
          error instanceof StatusRuntimeException e ? e.getStatus() : Status.fromThrowable(error));
    }

    @Override
    public void onCompleted() {}
  }
}
