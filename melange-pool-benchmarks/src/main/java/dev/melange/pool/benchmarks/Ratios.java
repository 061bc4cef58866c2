package dev.melange.pool.benchmarks;

/**
 * The ratios the report quotes. Every table, target and chart computes them here, so that a "1.25×"
 * in one place means what it means in another.
 */
final class Ratios {
  private Ratios() {}

  /**
   * How many times the lease floor's cost an implementation's round trip costs: {@code nanos /
   * leaseFloorNanos}. 1.25 means 25% slower than the floor; below 1 means faster.
   */
  static double timesLeaseFloor(double nanos, double leaseFloorNanos) {
    return nanos / leaseFloorNanos;
  }

  /**
   * How many times faster melange-pool is than a reference: {@code referenceNanos / poolNanos}. 20
   * means the reference takes twenty times as long per round trip.
   */
  static double timesFaster(double poolNanos, double referenceNanos) {
    return referenceNanos / poolNanos;
  }

  /**
   * How many times its cost at a small fleet a round trip costs at a large one: {@code
   * largeFleetNanos / smallFleetNanos}. 1 means the cost does not grow with the fleet.
   */
  static double timesSmallFleet(double largeFleetNanos, double smallFleetNanos) {
    return largeFleetNanos / smallFleetNanos;
  }
}
