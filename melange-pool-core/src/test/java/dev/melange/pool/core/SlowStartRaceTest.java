package dev.melange.pool.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.melange.pool.Backend;
import dev.melange.pool.Ticker;
import dev.melange.pool.core.breaker.DisabledCircuitBreaker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The races SlotWordLinearizabilityTest found in the slow-start ramp, reproduced step by step: a
 * ticker that holds one thread inside its read lets the test restart the ramp at exactly the moment
 * that thread has read the old ramp's start.
 */
class SlowStartRaceTest {
  private static final Duration RAMP = Duration.ofSeconds(10);

  /**
   * A reservation that read the ramp's start just before the ramp started over must not go through
   * at the full limit: the new ramp allows one job, and one runs.
   */
  @Test
  void aReservationRacingARestartedRampKeepsToTheNewRampsLimit() throws Exception {
    PausingTicker ticker = new PausingTicker();
    Slot slot = slotOf4(ticker);
    assertThat(slot.tryReserve()).as("the first job").isTrue();
    slot.startRamp();
    ticker.advance(RAMP.plusSeconds(1)); // the ramp is over, its flag still set: nobody looked

    CountDownLatch inRead = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    ticker.pauseNextRead(inRead, goOn);
    CompletableFuture<Boolean> racing = new CompletableFuture<>();
    Thread reserving = new Thread(() -> racing.complete(slot.tryReserve()), "reserving");
    ticker.pauseIn(reserving);
    reserving.start();
    assertThat(inRead.await(30, TimeUnit.SECONDS)).as("the reservation reads the ticker").isTrue();
    slot.startRamp(); // the backend recovers again: a new ramp, from a limit of 1
    goOn.countDown();

    assertThat(racing.get(30, TimeUnit.SECONDS))
        .as("a second job on a ramp that allows one; word %s", Integer.toHexString(slot.active))
        .isFalse();
    assertThat(slot.active()).isEqualTo(1);
    assertThat(slot.limit()).as("the new ramp's limit").isEqualTo(1);
    assertThat(slot.isRamping()).as("the new ramp goes on").isTrue();
  }

  /**
   * Two ramps that start at once end as the later one: the earlier start's ticker reading, written
   * last, must not make the ramp look older than it is (and so let more jobs in).
   */
  @Test
  void ofTwoRampsStartedAtOnceTheLaterReadingStands() throws Exception {
    PausingTicker ticker = new PausingTicker();
    Slot slot = slotOf4(ticker);
    CountDownLatch inRead = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    ticker.pauseNextRead(inRead, goOn);
    Thread first = new Thread(slot::startRamp, "first");
    ticker.pauseIn(first);
    first.start();
    assertThat(inRead.await(30, TimeUnit.SECONDS)).as("the first start reads the ticker").isTrue();

    ticker.advance(RAMP.dividedBy(2));
    Thread second = new Thread(slot::startRamp, "second");
    second.start();
    Eventually.until(
        "the second start done or waiting for the first",
        () ->
            second.getState() == Thread.State.BLOCKED
                || second.getState() == Thread.State.TERMINATED,
        second::getState);
    goOn.countDown(); // the first start goes on with its reading from before
    first.join(30_000);
    second.join(30_000);

    assertThat(slot.limit()).as("the limit of a ramp that starts now").isEqualTo(1);
  }

  /** A slot of maxJobs 4 that ramps up over {@link #RAMP} on {@code ticker}. */
  private static Slot slotOf4(Ticker ticker) {
    return Slot.create(
        Backend.of("tcp://a:1", "x86_64").withMaxJobs(4),
        4,
        DisabledCircuitBreaker.FACTORY,
        null,
        null,
        new SlowStart(ticker, RAMP),
        null,
        new PoolEvents(null));
  }

  /**
   * A ticker moved by the test that can hold one thread just after it read the time, until
   * released: as if the thread was descheduled between reading the ticker and using the reading.
   */
  private static final class PausingTicker implements Ticker {
    private final FakeTicker time = new FakeTicker();
    private volatile CountDownLatch inRead;
    private volatile CountDownLatch goOn;
    private volatile Thread paused;

    void pauseIn(Thread thread) {
      this.paused = thread;
    }

    void advance(Duration duration) {
      time.advance(duration);
    }

    void pauseNextRead(CountDownLatch inRead, CountDownLatch goOn) {
      this.goOn = goOn;
      this.inRead = inRead;
    }

    /** The time now; a paused thread gets the time it read, after the pause. */
    @Override
    public long read() {
      long now = time.read();
      CountDownLatch reached = inRead;
      if (reached != null && Thread.currentThread() == paused) {
        inRead = null;
        reached.countDown();
        try {
          goOn.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return now;
    }
  }
}
