package dev.melange.pool.core;

import dev.melange.pool.spi.LoadBalancer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The candidates of one kind (primaries or backups) for one arch and selector, in configuration
 * order, as a {@link LoadBalancer.Candidates} view over their live slots. Immutable but for the
 * round-robin ticket and the affinity ring built on first use, so one list serves every thread
 * asking the same question of one topology.
 */
final class CandidateList implements LoadBalancer.Candidates {
  static final CandidateList EMPTY = new CandidateList(List.of());

  private static final VarHandle TICKET;

  static {
    try {
      TICKET = MethodHandles.lookup().findVarHandle(CandidateList.class, "ticket", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Slot[] slots;
  private final boolean weightsEqual;

  /**
   * {@code cumulativeWeights[i]} is the sum of the configured weights of candidates 0 to i: for
   * picking in proportion to weight with a binary search instead of a scan. Built on first use,
   * like the ring, so that only pools that pick by weight hold it.
   */
  private volatile long @Nullable [] cumulativeWeights;

  /** Built on the first acquire with an affinity key; a race builds it twice, identically. */
  private volatile @Nullable AffinityRing ring;

  /** Read and written only through {@link #TICKET}. */
  @SuppressWarnings("UnusedVariable")
  private volatile long ticket;

  CandidateList(List<Slot> slots) {
    this.slots = slots.toArray(new Slot[0]);
    boolean equal = true;
    for (Slot slot : this.slots) {
      equal &= slot.weight == this.slots[0].weight;
    }
    this.weightsEqual = equal;
  }

  /** The sum of the candidates' configured weights. */
  long totalWeight() {
    long[] cumulative = cumulativeWeights();
    return cumulative.length == 0 ? 0 : cumulative[cumulative.length - 1];
  }

  /** The candidate in whose share of the configured weights {@code point} falls. */
  int indexOfWeight(long point) {
    int at = Arrays.binarySearch(cumulativeWeights(), point + 1);
    return at >= 0 ? at : -at - 1;
  }

  private long[] cumulativeWeights() {
    long[] cumulative = cumulativeWeights;
    if (cumulative == null) {
      cumulative = new long[slots.length];
      long sum = 0;
      for (int i = 0; i < slots.length; i++) {
        sum += slots[i].weight;
        cumulative[i] = sum;
      }
      cumulativeWeights = cumulative;
    }
    return cumulative;
  }

  boolean isEmpty() {
    return slots.length == 0;
  }

  @Override
  public int size() {
    return slots.length;
  }

  @Override
  public int active(int index) {
    return slots[index].active();
  }

  @Override
  public int maxJobs(int index) {
    return slots[index].limit();
  }

  @Override
  public int weight(int index) {
    return slots[index].weightNow();
  }

  @Override
  public boolean weightsEqual() {
    return weightsEqual;
  }

  @Override
  public long latencyNanos(int index) {
    LatencyEstimate latency = slots[index].latency;
    return latency == null ? 0 : latency.nanos();
  }

  /** A removed, cordoned, draining or unhealthy slot admits nothing. */
  @Override
  public boolean isAdmitting(int index) {
    Slot slot = slots[index];
    return slot.isReadyAndHealthy() && slot.breaker.isAdmitting();
  }

  @Override
  public boolean canTake(int index) {
    Slot slot = slots[index];
    return slot.hasRoom() && slot.breaker.isAdmitting();
  }

  @Override
  public long nextTicket() {
    return (long) TICKET.getAndAdd(this, 1L);
  }

  /** The consistent-hashing ring of these candidates, built on first use. */
  AffinityRing ring() {
    AffinityRing current = ring;
    if (current == null) {
      current = new AffinityRing(this);
      ring = current;
    }
    return current;
  }

  @Override
  public String toString() {
    return List.of(slots).toString();
  }
}
