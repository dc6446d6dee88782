package io.pyhost.core;

import static org.junit.Assert.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;

/** Python's output and logging reach Java (issue 13, items 4 and 5), in every mode, on real CPython. */
public class OutputAndLoggingTest extends EngineTest {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
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
    private final List<Logger> watched = new ArrayList<>();

    @Before
    public void captureLogs() {
        for (String name : List.of("python.output", "python.app", "python.root")) {
            Logger logger = Logger.getLogger(name); // System.Logger's default backend outside OSGi
            logger.addHandler(capture);
            logger.setLevel(java.util.logging.Level.ALL);
            watched.add(logger);
        }
    }

    @After
    public void stopCapturing() {
        watched.forEach(l -> l.removeHandler(capture));
    }

    @Test
    public void linesGoToTheContextsSinksWithPartialLinesKeptUntilTheirNewline() {
        for (String mode : EmbeddedPython.MODES) {
            List<String> out = new CopyOnWriteArrayList<>();
            List<String> err = new CopyOnWriteArrayList<>();
            try (PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withOutput(out::add, err::add))) {
                context.exec("import sys\nprint('hello', 42)\nprint('a\\nb')\nprint('half', end='')\nsys.stderr.write('oops\\n')");
                assertEquals(mode, List.of("hello 42", "a", "b"), out);
                assertEquals(mode, List.of("oops"), err);
                context.exec("print(' done')");
                assertEquals(mode, "half done", out.get(3));
                context.exec("print('no newline', end='')\nsys.stdout.flush()");
                assertEquals(mode, "no newline", out.get(4));
            }
            List<String> both = new CopyOnWriteArrayList<>();
            try (PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withOutput(both::add))) {
                context.exec("import sys\nprint('o')\nprint('e', file=sys.stderr)");
                assertEquals(mode + ": one sink gets both streams", List.of("o", "e"), both);
            }
        }
    }

    @Test
    public void fourConcurrentContextsNeverMixTheirLines() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            List<List<String>> sinks = new ArrayList<>();
            List<PyContext> contexts = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                List<String> sink = Collections.synchronizedList(new ArrayList<>());
                sinks.add(sink);
                contexts.add(EmbeddedPython.create(engine, ContextOptions.mode(mode).withOutput(sink::add)));
            }
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                PyContext context = contexts.get(c);
                int n = c;
                threads.add(Thread.ofPlatform().start(() -> context.exec(
                        "for i in range(300):\n    print('context', " + n + ", 'line', i, 'x' * (i % 7))")));
            }
            for (Thread t : threads) {
                t.join(60_000);
            }
            for (int c = 0; c < 4; c++) {
                List<String> lines = sinks.get(c);
                assertEquals(mode + " context " + c, 300, lines.size());
                for (int i = 0; i < 300; i++) {
                    assertEquals(mode, "context " + c + " line " + i + " " + "x".repeat(i % 7), lines.get(i));
                }
                contexts.get(c).close();
            }
        }
    }

    @Test
    public void withoutASinkLinesGoToTheLogUnderTheContextsId() {
        for (String mode : EmbeddedPython.MODES) {
            records.clear();
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import sys\nprint('to the log')\nprint('warned', file=sys.stderr)");
                LogRecord out = find("python.output", "to the log");
                assertEquals(java.util.logging.Level.INFO, out.getLevel());
                assertTrue(out.getMessage(), out.getMessage().startsWith("[context " + context.id() + " (" + mode + ") stdout] "));
                assertEquals(java.util.logging.Level.WARNING, find("python.output", "warned").getLevel());
            }
        }
    }

    @Test
    public void loggingRecordsReachTheLogWithLevelsTracebacksAndTheirContext() {
        for (String mode : EmbeddedPython.MODES) {
            records.clear();
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        import logging
                        log = logging.getLogger('app')
                        log.setLevel(logging.DEBUG)
                        log.debug('fine detail %d', 7)
                        log.error('bad thing')
                        try:
                            1 / 0
                        except ZeroDivisionError:
                            log.exception('it failed')
                        logging.warning('from the root logger')
                        """);
                LogRecord debug = find("python.app", "fine detail 7");
                assertEquals(java.util.logging.Level.FINE, debug.getLevel());
                assertTrue(debug.getMessage(), debug.getMessage().contains("[context " + context.id() + " (" + mode + ")]"));
                assertEquals(java.util.logging.Level.SEVERE, find("python.app", "bad thing").getLevel());
                LogRecord failed = find("python.app", "it failed");
                assertTrue(failed.getMessage(), failed.getMessage().contains("ZeroDivisionError: division by zero"));
                assertTrue(failed.getMessage(), failed.getMessage().contains("Traceback"));
                assertEquals(java.util.logging.Level.WARNING, find("python.root", "from the root logger").getLevel());
            }
        }
    }

    @Test
    public void basicConfigStillWorksAndItsStreamIsTheContextsOutput() {
        for (String mode : EmbeddedPython.MODES) {
            List<String> out = new CopyOnWriteArrayList<>();
            try (PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withOutput(out::add))) {
                context.exec("""
                        import logging
                        logging.basicConfig(level=logging.INFO, format='%(levelname)s:%(name)s:%(message)s', force=True)
                        logging.getLogger('configured').info('through basicConfig')
                        """);
                assertTrue(mode + ": " + out, out.contains("INFO:configured:through basicConfig"));
                // the next test's interpreter may be this one (worker): only pyhost's handler stays
                context.exec("root = logging.getLogger()\nfor h in root.handlers[:]:\n    if type(h).__name__ != 'PyhostHandler':\n"
                        + "        root.removeHandler(h)");
            }
        }
    }

    /**
     * The main interpreter outlives a core restart, and the new core's pyhost module is installed
     * again in it: the logging hooks of the two never ask each other forever (a RecursionError on
     * `import logging` was seen), and handlers and basicConfig wrappers are replaced, not stacked.
     */
    @Test
    public void aSecondPyhostModuleInTheSameInterpreterNeitherRecursesNorStacksHandlers() {
        try (PyContext context = EmbeddedPython.create(engine, ContextOptions.mode("subinterp").withSandbox(false))) {
            context.exec("""
                    import sys
                    hook = next(f for f in sys.meta_path if getattr(f, '_pyhost_logging_hook', False))
                    class EarlierCoresHook(hook):
                        pass
                    sys.meta_path.insert(0, EarlierCoresHook)
                    import logging
                    import pyhost
                    install = pyhost.call.__globals__['_install_log_handler']
                    install(logging)
                    install(logging)
                    """);
            assertEquals(1L, context.eval("sum(type(h).__name__ == 'PyhostHandler' for h in logging.root.handlers)"));
            assertEquals("logging", context.eval("logging._pyhost_original_basicConfig.__module__"));
        }
    }

    private LogRecord find(String logger, String text) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (LogRecord r : records) {
                if (r.getLoggerName().equals(logger) && r.getMessage().contains(text)) {
                    return r;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no record of " + logger + " containing '" + text + "' in " + records.stream()
                .map(r -> r.getLoggerName() + ": " + r.getMessage()).toList());
    }
}
