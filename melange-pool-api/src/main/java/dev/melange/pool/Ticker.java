package dev.melange.pool;

/**
 * A source of nanosecond time for the pool's timeouts and circuit breakers. Only differences
 * between readings matter, as with {@link System#nanoTime()}. Tests inject a ticker they advance by
 * hand instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

  /** The current reading, in nanoseconds. */
  long read();

  /** The system ticker, {@link System#nanoTime()}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}

enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long read() {
    return System.nanoTime();
  }
}
