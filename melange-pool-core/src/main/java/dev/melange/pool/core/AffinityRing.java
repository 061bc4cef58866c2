package dev.melange.pool.core;

import dev.melange.pool.spi.LoadBalancer;
import java.util.Arrays;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam) over one {@link
 * CandidateList}: a ring of points, each at a hash of its backend's address and the point's number.
 * A key's order is the ring walked clockwise from the key's hash; its home is the first backend in
 * that order.
 *
 * <p>A backend gets {@link #POINTS_PER_WEIGHT} points per unit of its weight relative to the
 * candidates' mean weight (at least one), and the ring at most {@link #MAX_POINTS}: so its size
 * follows the number of candidates, not the size of their weights. A point's place depends only on
 * its backend's address, so with equal weights a topology with one backend more or less has the
 * same points plus or minus that backend's: only keys whose home was removed, or whose new home is
 * the added backend, move. (With unequal weights a change of the mean weight may add or drop a
 * point here and there, moving a few more keys; past {@link #MAX_POINTS} / {@link
 * #POINTS_PER_WEIGHT} candidates, points shrink to keep the ring at its cap, with the same effect.)
 *
 * <p>A pick walks the key's order and takes the first backend that can take a lease (below its
 * limit, circuit admitting) and whose active leases would stay within {@code ceil(loadFactor *
 * (total active + 1) / candidates)}. The total is summed only as far as the decision needs: a home
 * with no lease out is taken without summing anything, so on a lightly loaded pool a pick costs a
 * lookup and a few reads however many backends there are; a busy home costs a partial sum. The walk
 * first looks at {@code 4 × candidates} points (nearly every backend); only if none of those will
 * do does it check every candidate and, if one will, walk on to it. When no backend within the
 * bound can take the lease, the first one in the key's order that can takes it: the bound spreads
 * load, it does not leave capacity idle.
 */
final class AffinityRing {
  /** Points per unit of (mean-relative) weight: a spread within about 15% before the bound. */
  static final int POINTS_PER_WEIGHT = 40;

  /** At most this many points (2 MiB): rings stay small however many backends and weights. */
  static final int MAX_POINTS = 1 << 18;

  /** About how many points a bucket of the index holds. */
  private static final int POINTS_PER_BUCKET = 8;

  private final CandidateList candidates;

  /** Sorted; each is {@code hash << 32 | candidate index}. */
  private final long[] points;

  /**
   * Where each bucket of hashes starts in {@link #points}: a bucket holds the points that share
   * their top bits, so a lookup searches about {@value #POINTS_PER_BUCKET} points, a cache line or
   * two, instead of the whole ring.
   */
  private final int[] bucketStart;

  private final int bucketShift;

  AffinityRing(CandidateList candidates) {
    this.candidates = candidates;
    Slot[] slots = candidates.slots;
    long totalWeight = 0;
    for (Slot slot : slots) {
      totalWeight += slot.weight;
    }
    double meanWeight = (double) totalWeight / Math.max(1, slots.length);
    double perBackend =
        Math.min(POINTS_PER_WEIGHT, (double) MAX_POINTS / Math.max(1, slots.length));
    int[] counts = new int[slots.length];
    int total = 0;
    for (int i = 0; i < slots.length; i++) {
      counts[i] =
          (int)
              Math.max(
                  1, Math.min(MAX_POINTS, Math.round(slots[i].weight / meanWeight * perBackend)));
      total = (int) Math.min(Integer.MAX_VALUE - 1, (long) total + counts[i]);
    }
    long[] ring = new long[total];
    int next = 0;
    for (int i = 0; i < slots.length && next < total; i++) {
      long addrHash = hash64(slots[i].backend.addr());
      for (int point = 0; point < counts[i] && next < total; point++) {
        long hash = mix(addrHash + point) >>> 32;
        ring[next++] = hash << 32 | i;
      }
    }
    Arrays.sort(ring);
    this.points = ring;
    int bucketBits = 1;
    while (bucketBits < 20 && (ring.length >> bucketBits) > POINTS_PER_BUCKET) {
      bucketBits++;
    }
    this.bucketShift = 64 - bucketBits;
    int buckets = 1 << bucketBits;
    int[] starts = new int[buckets + 1];
    int point = 0;
    for (int bucket = 0; bucket < buckets; bucket++) {
      starts[bucket] = point;
      while (point < ring.length && bucketOf(ring[point]) == bucket) {
        point++;
      }
    }
    starts[buckets] = ring.length;
    this.bucketStart = starts;
  }

  /** The bucket of a point or key position: its top bits, in the points' (signed) order. */
  private int bucketOf(long position) {
    return (int) ((position ^ Long.MIN_VALUE) >>> bucketShift);
  }

  /** A key's place on the ring: its (cached) {@code String} hash, mixed. */
  static long keyHash(String key) {
    return mix(key.hashCode()) >>> 32;
  }

  /**
   * The first candidate in the key's order that can take a lease within the load bound, else the
   * first that can take one at all; {@link LoadBalancer#NONE} when none can.
   *
   * @param keyHash from {@link #keyHash}
   */
  int pick(long keyHash, double loadFactor) {
    Slot[] slots = candidates.slots;
    int n = slots.length;
    long[] ring = points;
    if (ring.length == 0) {
      return LoadBalancer.NONE;
    }
    long position = keyHash << 32;
    int bucket = bucketOf(position);
    // The first point at or after the key: in its bucket, else the next bucket's first.
    int at = Arrays.binarySearch(ring, bucketStart[bucket], bucketStart[bucket + 1], position);
    if (at < 0) {
      at = -at - 1;
    }
    int firstLook = (int) Math.min(ring.length, 4L * n + 16);
    int fallback = LoadBalancer.NONE;
    long total = 0;
    int summed = 0;
    int step = 0;
    for (; step < firstLook; step++, at++) {
      if (at >= ring.length) {
        at = 0;
      }
      int index = (int) ring[at];
      if (!candidates.canTake(index)) {
        continue;
      }
      // Within the bound iff active + 1 <= ceil(f * (total + 1) / n), iff f * (total + 1) > n *
      // active. Sum the total only until that holds: a partial sum that already says yes is
      // enough, since the whole can only be larger.
      double needed = (double) n * slots[index].active();
      while (loadFactor * (total + 1) <= needed && summed < n) {
        total += slots[summed++].active();
      }
      if (loadFactor * (total + 1) > needed) {
        return index;
      }
      if (fallback == LoadBalancer.NONE) {
        fallback = index;
      }
    }
    // Rare: nothing in the first look will do. Is there a backend within the bound at all?
    while (summed < n) {
      total += slots[summed++].active();
    }
    boolean anyWithin = false;
    boolean anyTakes = fallback != LoadBalancer.NONE;
    for (int index = 0; index < n && !anyWithin; index++) {
      if (candidates.canTake(index)) {
        anyTakes = true;
        anyWithin = loadFactor * (total + 1) > (double) n * slots[index].active();
      }
    }
    if (!anyWithin) {
      // None within the bound: the first in the key's order that can take it, which the first
      // look found if it found any.
      return anyTakes && fallback == LoadBalancer.NONE
          ? walkOn(ring, at, step, total, n, loadFactor, false)
          : fallback;
    }
    int found = walkOn(ring, at, step, total, n, loadFactor, true);
    return found != LoadBalancer.NONE ? found : fallback;
  }

  /** How many points the ring has. */
  int size() {
    return points.length;
  }

  /**
   * Walks the rest of the key's order for the first backend that can take a lease (within the
   * bound, if asked); the first that can at all if the one seen a moment ago is gone.
   */
  private int walkOn(
      long[] ring, int at, int step, long total, int n, double loadFactor, boolean withinBound) {
    Slot[] slots = candidates.slots;
    int fallback = LoadBalancer.NONE;
    for (; step < ring.length; step++, at++) {
      if (at >= ring.length) {
        at = 0;
      }
      int index = (int) ring[at];
      if (!candidates.canTake(index)) {
        continue;
      }
      if (!withinBound || loadFactor * (total + 1) > (double) n * slots[index].active()) {
        return index;
      }
      if (fallback == LoadBalancer.NONE) {
        fallback = index;
      }
    }
    return fallback;
  }

  /** FNV-1a over the characters, then mixed: addresses that share a 32-bit hash still differ. */
  static long hash64(String text) {
    long hash = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      hash = (hash ^ text.charAt(i)) * 0x100000001b3L;
    }
    return mix(hash);
  }

  /** Murmur3's 64-bit finalizer: a bijection that spreads every input bit over the output. */
  static long mix(long x) {
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    return x;
  }
}
