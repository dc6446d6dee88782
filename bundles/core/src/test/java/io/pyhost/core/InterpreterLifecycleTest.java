package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Before;
import org.junit.Test;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * Sub-interpreters: isolation of sys.modules, parallel calls, creation and closing in bulk, and
 * closing under a running call. Interpreter counts come from CPython itself
 * ({@code _interpreters.list_all()} in the main interpreter).
 */
public class InterpreterLifecycleTest extends EngineTest {
    private static final String BURN = "def burn(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n";

    private PyContext probe; // a worker context that counts interpreters

    @Before
    public void setUp() {
        probe = EmbeddedPython.create(engine, ContextFactory.WORKER);
        probe.exec("import _interpreters");
    }

    private long liveInterpreters() {
        return (Long) probe.eval("len(_interpreters.list_all())");
    }

    private static long pyhostThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pyhost-interp-")).count();
    }

    @Test
    public void subInterpretersHaveTheirOwnSysModulesWorkersShareTheMain() {
        for (String mode : List.of(ContextFactory.SUBINTERP, ContextFactory.OWNGIL)) {
            try (PyContext one = EmbeddedPython.create(engine, mode); PyContext two = EmbeddedPython.create(engine, mode)) {
                one.exec("import fractions, sys");
                two.exec("import sys");
                assertEquals(mode, true, one.eval("'fractions' in sys.modules"));
                assertEquals(mode, false, two.eval("'fractions' in sys.modules"));
            }
        }
        try (PyContext one = EmbeddedPython.create(engine, "worker"); PyContext two = EmbeddedPython.create(engine, "worker")) {
            one.exec("import sys, colorsys");
            two.exec("import sys");
            assertEquals(true, two.eval("'colorsys' in sys.modules"));
            assertEquals(false, two.eval("'colorsys' in globals()"));
        }
    }

    @Test
    public void ownGilRefusesSingePhaseExtensionsAndStaysUsable() {
        // the interpreter's own rule, so without the sandbox (which refuses ctypes: SandboxTest)
        try (PyContext ctx = EmbeddedPython.create(engine, ContextOptions.mode(ContextFactory.OWNGIL).withSandbox(false))) {
            PyException e = assertThrows(PyException.class, () -> ctx.exec("import readline"));
            assertEquals("ImportError", e.pythonType());
            assertTrue(e.pythonMessage(), e.pythonMessage().contains("does not support loading in subinterpreters"));
            ctx.exec("import decimal, json, ssl, sqlite3, ctypes, asyncio");
            assertEquals("3.5", ctx.eval("str(decimal.Decimal('1.5') + 2)"));
        }
    }

    @Test
    public void ownGilContextsRunInParallelAndAllResultsAreRight() throws Exception {
        long expected = 0;
        for (long i = 0; i < 300_000; i++) {
            expected += i * i;
        }
        for (String mode : List.of(ContextFactory.OWNGIL, ContextFactory.SUBINTERP, ContextFactory.WORKER)) {
            List<PyContext> contexts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                PyContext ctx = EmbeddedPython.create(engine, mode);
                ctx.exec(BURN);
                contexts.add(ctx);
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Object>> results = new ArrayList<>();
                for (PyContext ctx : contexts) {
                    results.add(pool.submit(() -> ctx.eval("burn(300000)")));
                }
                for (Future<Object> result : results) {
                    assertEquals(mode, expected, result.get(60, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
                contexts.forEach(PyContext::close);
            }
        }
    }

    @Test
    public void twoHundredOwnGilContextsLeaveNothingBehind() {
        long interpreters = liveInterpreters();
        long threads = pyhostThreads();
        for (int i = 0; i < 200; i++) {
            try (PyContext ctx = EmbeddedPython.create(engine, ContextFactory.OWNGIL)) {
                assertEquals((long) i, ctx.eval("i", Map.of("i", i)));
            }
        }
        assertEquals(interpreters, liveInterpreters());
        assertEquals(threads, pyhostThreads());
    }

    @Test
    public void aFailedPreloadEndsTheHalfMadeInterpreter() {
        long interpreters = liveInterpreters();
        for (String mode : List.of(ContextFactory.SUBINTERP, ContextFactory.OWNGIL)) {
            PyException e = assertThrows(PyException.class,
                    () -> EmbeddedPython.create(engine, io.pyhost.api.ContextOptions.mode(mode).withPreload("raise KeyError('k')")));
            assertEquals("KeyError", e.pythonType());
        }
        assertEquals(interpreters, liveInterpreters());
        assertEquals(0, pyhostThreads());
    }

    @Test
    public void closingUnderARunningCallInterruptsItAndEndsTheInterpreter() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            long interpreters = liveInterpreters();
            PyContext ctx = EmbeddedPython.create(engine, mode);
            CountDownLatch started = new CountDownLatch(1);
            ExecutorService caller = Executors.newSingleThreadExecutor();
            try {
                ctx.exec("import time");
                Future<Object> running = caller.submit(() -> {
                    started.countDown();
                    return ctx.eval("[time.sleep(0.001) for _ in iter(int, 1)]"); // runs until interrupted
                });
                assertTrue(started.await(5, TimeUnit.SECONDS));
                waitUntilBusy(ctx);
                long t0 = System.nanoTime();
                ctx.close();
                assertTrue(mode + ": close took too long", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
                var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> running.get(5, TimeUnit.SECONDS));
                assertTrue(mode + ": " + failure.getCause(), failure.getCause() instanceof PyException);
                assertEquals("KeyboardInterrupt", ((PyException) failure.getCause()).pythonType());
                assertEquals(mode, interpreters, liveInterpreters());
                IllegalStateException closed = assertThrows(IllegalStateException.class, () -> ctx.eval("1"));
                assertTrue(closed.getMessage(), closed.getMessage().endsWith("is closed: it was closed"));
            } finally {
                caller.shutdownNow();
            }
        }
    }

    /** The call has started in Python once the context counts it. */
    private static void waitUntilBusy(PyContext ctx) throws InterruptedException {
        PythonContext context = (PythonContext) ctx;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (context.calls() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50); // let the eval get into its loop; the assertions below do not depend on it
    }

    @Test
    public void timeoutsInterruptAndTheContextRecovers() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine,
                    io.pyhost.api.ContextOptions.mode(mode).withCallTimeout(Duration.ofMillis(300)))) {
                long t0 = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> ctx.exec("while True: pass"));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(mode, "TimeoutError", e.pythonType());
                assertTrue(mode + " took " + ms + " ms", ms < 1500);
                assertEquals(mode, 4L, ctx.eval("2 + 2"));
                PyException swallowed = assertThrows(PyException.class,
                        () -> ctx.exec("while True:\n    try:\n        pass\n    except Exception:\n        pass\n"));
                assertEquals(mode, "TimeoutError", swallowed.pythonType());
                for (int i = 0; i < 20; i++) {
                    assertEquals(mode, 2L, ctx.eval("1 + 1"));
                }
            }
        }
    }
}
