package dev.melange.pool.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Test helper: the lines one class's logger logs at WARN and above while it is open (tests log to
 * logback, silent otherwise). Tests may run beside others that log too: filter by what is yours.
 */
final class CapturedLog implements AutoCloseable {
  private final Logger logger;
  private final Level before;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  CapturedLog(Class<?> source) {
    logger = (Logger) LoggerFactory.getLogger(source);
    before = logger.getLevel();
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.WARN);
  }

  /** Each line logged so far, as formatted, with its level: {@code WARN backend ...}. */
  List<String> lines() {
    synchronized (appender) { // AppenderBase appends under the appender's lock
      return appender.list.stream()
          .map(event -> event.getLevel() + " " + event.getFormattedMessage())
          .toList();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setLevel(before);
    appender.stop();
  }
}
