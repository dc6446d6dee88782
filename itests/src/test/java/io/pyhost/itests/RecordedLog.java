package io.pyhost.itests;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What one logger wrote while a test ran. pyhost logs through {@code System.Logger}, which the
 * JDK backs with {@code java.util.logging} here; a handler on the named JUL logger sees every
 * record at INFO and above, its message formatted as {@code System.Logger} would.
 */
final class RecordedLog implements AutoCloseable {
    private static final SimpleFormatter FORMAT = new SimpleFormatter();

    private final Logger logger; // held: JUL keeps loggers only weakly, and with them their handlers
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private RecordedLog(String loggerName) {
        this.logger = Logger.getLogger(loggerName);
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /** Starts recording what {@code loggerName} logs. */
    static RecordedLog of(String loggerName) {
        return new RecordedLog(loggerName);
    }

    /** A recorded line: its level and its formatted message. */
    record Line(Level level, String message, Throwable thrown) {
        @Override
        public String toString() {
            return level + " " + message + (thrown == null ? "" : " [" + thrown + "]");
        }
    }

    /** Every line recorded so far. */
    List<Line> lines() {
        return records.stream().map(r -> new Line(r.getLevel(), FORMAT.formatMessage(r), r.getThrown())).toList();
    }

    /** The lines recorded so far that {@code test} accepts. */
    List<Line> lines(Predicate<Line> test) {
        return lines().stream().filter(test).toList();
    }

    /** Waits (bounded, see {@link PyhostTestSupport#awaitCondition}) for a line {@code test} accepts, and returns it. */
    Line await(String what, Predicate<Line> test) {
        PyhostTestSupport.awaitCondition(() -> what + "; lines so far: " + lines(), () -> !lines(test).isEmpty());
        return lines(test).getFirst();
    }

    /** Forgets what was recorded. */
    void clear() {
        records.clear();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
