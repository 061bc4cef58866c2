package dev.melange.pool.buildkit;

import dev.melange.pool.DaemonInfo;
import dev.melange.pool.buildkit.proto.InfoRequest;
import dev.melange.pool.buildkit.proto.InfoResponse;
import dev.melange.pool.buildkit.proto.ListWorkersRequest;
import dev.melange.pool.buildkit.proto.ListWorkersResponse;
import dev.melange.pool.buildkit.proto.Platform;
import dev.melange.pool.spi.HealthProbe;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.stub.StreamObserver;
import java.math.BigDecimal;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The {@code buildkit} probe of one daemon, over a gRPC channel kept while it serves ({@link
 * BuildKitConnection}, where a host name is resolved, not by grpc). A check asks {@code
 * grpc.health.v1.Health/Check} (SERVING is up; UNIMPLEMENTED is up too: daemons before v0.13 do not
 * register the service, and answering at all proves the server is up), then {@code
 * moby.buildkit.v1.Control/ListWorkers}: a daemon whose controller has no worker yet is not ready
 * (its listener opens before the controller is, so a connect alone says too little). Never {@code
 * DiskUsage}: it walks the build cache.
 *
 * <p>A passing check reports the daemon ({@link DaemonInfo}): its first worker's platforms, native
 * first, as OCI names and as melange archs ({@link BuildKitPlatforms}), its worker count, and its
 * version, which {@code Control/Info} is asked for once per connection: after the first pass, and
 * again after the channel lost its connection (a restarted daemon may be another version).
 *
 * <p>The timeout is shared out so that the check, not the pool's timer, says how it ended. Health
 * and ListWorkers together have {@link #callsNanos four fifths} of it: the last fifth is the pool's
 * margin, so that a daemon that does not answer fails with the call that did not ({@code health:
 * DEADLINE_EXCEEDED ...}) rather than the pool's {@code timed out after}. Info comes last and is
 * asked only within {@link #infoNanos the first half} of the timeout, with what is left of it. Info
 * that does not answer in time does not fail a daemon that answered Health and ListWorkers: the
 * check passes, its version not refreshed (the last one the daemon said, if any), and the next
 * check asks again. Were Info's deadline the timeout itself, it would race the pool's timer, and a
 * daemon whose Info hangs would flap between healthy and unhealthy.
 */
final class BuildKitProbe implements HealthProbe {
  private final BuildKitAddress address;
  private final BuildKitConnection connection;

  /**
   * The daemon's version as it last said it ({@code ""}: it has no Info); null until it said. Kept
   * across connections: reported, not refreshed, when a new connection's Info does not answer.
   */
  private volatile @Nullable String version;

  /**
   * A probe of the daemon at {@code address}.
   *
   * @throws IllegalArgumentException when grpc cannot use the TLS settings
   */
  BuildKitProbe(BuildKitAddress address, @Nullable BuildKitTls tls) {
    this(address, new BuildKitConnection(address, tls));
  }

  /** A probe of the daemon at {@code address}, reached over {@code connection}. */
  BuildKitProbe(BuildKitAddress address, BuildKitConnection connection) {
    this.address = address;
    this.connection = connection;
  }

  /** How long of a check's {@code timeout} Health and ListWorkers may take together. */
  static long callsNanos(long timeoutNanos) {
    return Math.max(1, timeoutNanos - timeoutNanos / 5);
  }

  /** How long from a check's start Info may still answer. */
  static long infoNanos(long timeoutNanos) {
    return Math.max(1, timeoutNanos / 2);
  }

  @Override
  public CompletionStage<Result> check(Duration timeout) {
    long nanos = Math.max(1, timeout.toNanos());
    long callsNanos = callsNanos(nanos);
    Budget budget =
        new Budget(
            Deadline.after(callsNanos, TimeUnit.NANOSECONDS),
            callsNanos,
            Deadline.after(infoNanos(nanos), TimeUnit.NANOSECONDS));
    CompletableFuture<Result> result = new CompletableFuture<>();
    CompletionStage<BuildKitConnection.Link> link = connection.link();
    CompletionStage<BuildKitConnection.Link> unused =
        link.whenComplete(
            (ready, failure) -> {
              if (ready == null) {
                result.complete(Result.down(unreachable(failure)));
              } else if (!result.isDone()) {
                health(ready, budget, result);
              }
            });
    return result;
  }

  /** A check's deadlines: the calls' ({@code callsNanos} from its start), and Info's. */
  private record Budget(Deadline calls, long callsNanos, Deadline info) {}

  private void health(
      BuildKitConnection.Link link, Budget budget, CompletableFuture<Result> result) {
    link.health
        .withDeadline(budget.calls())
        .check(
            HealthCheckRequest.getDefaultInstance(),
            new Answer<HealthCheckResponse>(result) {
              @Override
              void answered(HealthCheckResponse response) {
                if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                  listWorkers(link, budget, result);
                } else {
                  result.complete(Result.down("health: " + response.getStatus()));
                }
              }

              @Override
              void failed(Status status) {
                if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                  listWorkers(link, budget, result); // a daemon older than v0.13
                } else {
                  result.complete(Result.down(describe("health", status, budget)));
                }
              }
            });
  }

  private void listWorkers(
      BuildKitConnection.Link link, Budget budget, CompletableFuture<Result> result) {
    if (result.isDone()) {
      return; // cancelled (timed out) meanwhile
    }
    link.control
        .withDeadline(budget.calls())
        .listWorkers(
            ListWorkersRequest.getDefaultInstance(),
            new Answer<ListWorkersResponse>(result) {
              @Override
              void answered(ListWorkersResponse response) {
                if (response.getRecordCount() == 0) {
                  result.complete(Result.down("no workers"));
                  return;
                }
                List<Platform> platforms = response.getRecord(0).getPlatformsList();
                int workers = response.getRecordCount();
                String detail =
                    "ok: "
                        + workers
                        + (workers == 1 ? " worker, " : " workers, ")
                        + (platforms.isEmpty()
                            ? "no platform"
                            : BuildKitPlatforms.name(platforms.get(0)));
                List<String> names = new ArrayList<>(platforms.size());
                platforms.forEach(platform -> names.add(BuildKitPlatforms.name(platform)));
                Report report =
                    new Report(detail, names, BuildKitPlatforms.archs(platforms), workers);
                if (link.infoAnswered || budget.info().isExpired()) {
                  // Known on this connection; or no time left to ask: not refreshed this time.
                  result.complete(report.with(version));
                } else {
                  askVersion(link, budget.info(), report, result);
                }
              }

              @Override
              void failed(Status status) {
                result.complete(Result.down(describe("list workers", status, budget)));
              }
            });
  }

  /**
   * Asks the daemon's version (once per connection), then reports. A daemon that cannot say (an old
   * one, or one whose Info does not answer by {@code deadline}) still passes: the version is not
   * what the check is about.
   */
  private void askVersion(
      BuildKitConnection.Link link,
      Deadline deadline,
      Report report,
      CompletableFuture<Result> result) {
    if (result.isDone()) {
      return;
    }
    link.control
        .withDeadline(deadline)
        .info(
            InfoRequest.getDefaultInstance(),
            new Answer<InfoResponse>(result) {
              @Override
              void answered(InfoResponse response) {
                String said = response.getBuildkitVersion().getVersion();
                version = said;
                link.infoAnswered = true;
                result.complete(report.with(said));
              }

              @Override
              void failed(Status status) {
                if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                  version = ""; // it will not say on this connection either
                  link.infoAnswered = true;
                }
                result.complete(report.with(version));
              }
            });
  }

  /**
   * Why the daemon could not be called: {@code unknown host <name>}, or what else stood in the way
   * (TLS files that grpc can no longer read, say).
   */
  private String unreachable(@Nullable Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof UnknownHostException) {
      return "unknown host " + address.host();
    }
    if (cause == null) {
      return "failed";
    }
    String message = firstLine(cause.getMessage());
    return message.isEmpty() ? cause.getClass().getSimpleName() : message;
  }

  /** What a pass reports, but for the version. */
  private record Report(String detail, List<String> platforms, List<String> archs, int workers) {
    /** The pass, with the version the daemon said ({@code ""} or null: none). */
    Result with(@Nullable String version) {
      return Result.up(
          detail,
          new DaemonInfo(
              version == null || version.isEmpty() ? null : version, platforms, archs, workers));
    }
  }

  /**
   * {@code health: UNAVAILABLE (io exception: <why>)}, on one line: the first line of grpc's
   * description, and the message of the failure's root cause, which says what went wrong where grpc
   * says only "io exception" or "ssl exception" (a certificate that does not check out, a daemon
   * that wants a client certificate). The check's own deadline is told in our words, {@code health:
   * DEADLINE_EXCEEDED (no answer within 1.6s)}: grpc's are its internals' timings.
   */
  private static String describe(String call, Status status, Budget budget) {
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && budget.calls().isExpired()) {
      return call + ": DEADLINE_EXCEEDED (no answer within " + seconds(budget.callsNanos()) + ")";
    }
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

  /** {@code 400ms}, {@code 1.6s}: as Go writes a duration, to the millisecond. */
  static String seconds(long nanos) {
    long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
    if (millis < 1000) {
      return millis + "ms";
    }
    return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + "s";
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
    connection.close();
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
