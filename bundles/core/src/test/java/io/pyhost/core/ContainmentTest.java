package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Test;

import io.pyhost.api.ContextBusyException;
import io.pyhost.api.ContextInfo;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * Every wait is bounded whatever Python does: timeouts in C code, worker contexts sharing one GIL,
 * code that swallows interrupts, close with running threads or C loops, thousands of virtual
 * callers. The C loops here end by themselves within seconds, so a failing bound cannot hang the
 * suite; each bound is asserted with slack for this 2-core machine, never as a benchmark.
 */
public class ContainmentTest extends EngineTest {
    /**
     * C code that holds its GIL for about 4 s on this machine (a catastrophic regex: no bytecode
     * boundary inside, so no interrupt lands until it returns), then ends by itself.
     */
    private static final String C_LOOP = cLoop(26);

    /** A catastrophic regex over {@code n} letters: each letter doubles its time. */
    private static String cLoop(int n) {
        return "__import__('re').match(r'(a+)+$', 'a' * " + n + " + 'b')";
    }
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final long SLACK_MILLIS = 1500;

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private ContextInfo infoOf(PyContext context) {
        return ((PythonContext) context).info("test");
    }

    @Test
    public void aTimeoutInCCodeReleasesTheCallerAtItsDeadlineAndLaterCallsFailFast() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                long start = System.nanoTime();
                // long enough (about 8 s) to still run after the busy checks below
                PyException e = assertThrows(PyException.class, () -> context.eval(cLoop(28), null, TIMEOUT));
                long took = millisSince(start);
                assertTrue(mode + ": " + e, e.isTimeout());
                assertEquals("TimeoutError", e.pythonType());
                assertTrue(mode + ": caller released after " + took + " ms", took < TIMEOUT.toMillis() + SLACK_MILLIS);

                ContextInfo info = infoOf(context);
                assertEquals(mode, ContextInfo.State.OVERDUE, info.state());
                assertNotNull(info.busySince());
                long before = System.nanoTime();
                ContextBusyException busy = assertThrows(ContextBusyException.class, () -> context.eval("1 + 1")); // no timeout
                assertTrue(busy.getMessage(), busy.getMessage().contains("is busy since " + info.busySince()));
                assertEquals(info.busySince(), busy.busySince());
                assertTrue("fails a second past the first call's timeout", millisSince(before) < 1000 + SLACK_MILLIS);
                before = System.nanoTime();
                PyException waited = assertThrows(PyException.class, () -> context.eval("1 + 1", null, Duration.ofMillis(300)));
                assertTrue(waited.isTimeout());
                assertTrue(waited.getMessage(), waited.getMessage().contains("(busy since " + info.busySince() + ")"));
                assertTrue("waited its own timeout only", millisSince(before) < 300 + SLACK_MILLIS);

                // the C loop ends by itself; the context then serves calls again
                awaitIdle(context, Duration.ofSeconds(40));
                assertEquals(2L, context.eval("1 + 1"));
            }
        }
    }

    @Test
    public void aWorkerContextInCCodeDoesNotHangAnotherWorkerContextPastItsOwnDeadline() throws Exception {
        try (PyContext stuck = EmbeddedPython.create(engine, "worker"); PyContext other = EmbeddedPython.create(engine, "worker")) {
            var pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> first = pool.submit(() -> {
                    try {
                        stuck.eval(C_LOOP, null, Duration.ofSeconds(2)); // may finish in time on a fast run
                    } catch (PyException timedOut) {
                        assertTrue(timedOut.toString(), timedOut.isTimeout());
                    }
                });
                Thread.sleep(200); // the loop holds the main GIL now
                long start = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> other.eval("1 + 1", null, TIMEOUT));
                assertTrue(e.toString(), e.isTimeout());
                assertTrue("second caller released after " + millisSince(start) + " ms", millisSince(start) < TIMEOUT.toMillis() + SLACK_MILLIS);
                first.get(20, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            awaitIdle(stuck, Duration.ofSeconds(20));
            awaitIdle(other, Duration.ofSeconds(20));
            assertEquals(2L, other.eval("1 + 1"));
        }
    }

    @Test
    public void anInterruptIsRepeatedUntilCodeThatCatchesBaseExceptionGivesUp() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import time\ncaught = 0");
                long start = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> context.exec("""
                        end = time.monotonic() + 3
                        while time.monotonic() < end:  # an interrupt landing here ends the loop: rare
                            try:
                                for _ in range(1000):
                                    sum(range(10**3))
                            except BaseException:
                                caught += 1
                        """, TIMEOUT));
                assertTrue(e.toString(), e.isTimeout());
                assertTrue(mode + ": released after " + millisSince(start) + " ms", millisSince(start) < TIMEOUT.toMillis() + SLACK_MILLIS);
                awaitIdle(context, Duration.ofSeconds(20));
                assertTrue(mode + ": interrupted more than once", (Long) context.eval("caught") >= 2);
            }
        }
    }

    @Test
    public void closeStopsTheNonDaemonThreadsOfASubInterpreter() {
        for (String mode : List.of("owngil", "subinterp")) {
            PyContext context = EmbeddedPython.create(engine, mode);
            context.exec("""
                    import threading, time
                    def spin():
                        while True:
                            time.sleep(0.01)
                    threading.Thread(target=spin).start()
                    """);
            long start = System.nanoTime();
            context.close();
            assertTrue(mode + ": close took " + millisSince(start) + " ms", millisSince(start) < 2000);
            assertFalse(mode, engine.contexts().contains(context));
        }
    }

    @Test
    public void closeIsBoundedWhenAThreadOrACallIsStuckInC() throws Exception {
        engine.setCloseTimeout(Duration.ofSeconds(1));
        PyContext threaded = EmbeddedPython.create(engine, "owngil");
        threaded.exec("import threading\nthreading.Thread(target=lambda: __import__('re').match(r'(a+)+$', 'a' * 26 + 'b')).start()");
        PyContext calling = EmbeddedPython.create(engine, "worker");
        CountDownLatch started = new CountDownLatch(1);
        Thread caller = Thread.ofPlatform().start(() -> {
            started.countDown();
            try {
                calling.eval(C_LOOP); // C code cannot be interrupted: it may just return its value
            } catch (RuntimeException closedMeanwhile) {
                // or fail, having been interrupted once it returned to Python: either way it ends
            }
        });
        started.await();
        Thread.sleep(200);
        for (PyContext context : List.of(threaded, calling)) {
            long start = System.nanoTime();
            context.close();
            assertTrue(context.mode() + ": close took " + millisSince(start) + " ms", millisSince(start) < 1000 + SLACK_MILLIS);
            assertTrue(context.isClosed());
            assertThrows(IllegalStateException.class, () -> context.eval("1"));
        }
        // whichever could not end in time is listed as abandoned until it ends by itself
        for (PyContext listed : engine.contexts()) {
            assertEquals(ContextInfo.State.ABANDONED, ((PythonContext) listed).info("test").state());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((engine.contexts().contains(threaded) || engine.contexts().contains(calling)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse("the owngil interpreter ended once its thread did", engine.contexts().contains(threaded));
        assertFalse("the worker context was released once its call returned", engine.contexts().contains(calling));
        caller.join(20_000);
    }

    @Test
    public void stoppingEverythingTakesOneCloseTimeoutNotOnePerStuckContext() throws Exception {
        engine.setCloseTimeout(Duration.ofSeconds(1));
        List<PyContext> stuck = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PyContext context = EmbeddedPython.create(engine, "owngil");
            context.exec("import threading\nthreading.Thread(target=lambda: " + cLoop(25) + ").start()");
            stuck.add(context);
        }
        long start = System.nanoTime();
        engine.closeAll("the strategy left");
        assertTrue("closeAll took " + millisSince(start) + " ms", millisSince(start) < 1000 + SLACK_MILLIS);
        for (PyContext context : stuck) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> context.eval("1"));
            assertTrue(e.getMessage(), e.getMessage().endsWith("is closed: the strategy left"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!engine.contexts().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals("every abandoned interpreter ended once its thread did", List.of(), engine.contexts());
    }

    @Test
    public void twoThousandVirtualCallersOnTwoThousandWorkerContextsUseABoundedNumberOfLanes() throws Exception {
        int callers = 2000;
        engine.setMainLanes(4);
        List<PyContext> contexts = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            contexts.add(EmbeddedPython.create(engine, "worker"));
        }
        AtomicInteger maxLanes = new AtomicInteger();
        AtomicInteger right = new AtomicInteger();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxLanes.accumulateAndGet(EmbeddedPython.runtime().main().lanes(), Math::max);
                Thread.onSpinWait();
            }
        });
        try (var virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                PyContext context = contexts.get(i);
                long n = i;
                virtual.execute(() -> {
                    if (Long.valueOf(n * 2).equals(context.eval("n * 2", Map.of("n", n), Duration.ofSeconds(60)))) {
                        right.incrementAndGet();
                    }
                });
            }
        } finally {
            sampler.interrupt();
            engine.setMainLanes(io.pyhost.core.bridge.PythonRuntime.DEFAULT_MAIN_LANES);
        }
        assertEquals(callers, right.get());
        assertTrue("lanes at most 4, saw " + maxLanes.get(), maxLanes.get() <= 4);
        contexts.forEach(PyContext::close);
    }

    @Test
    public void convertingAResultWhoseStrMutatesItNeverCrashes() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        class ClearsDict:
                            def __init__(self, d): self.d = d
                            def __str__(self):
                                self.d.clear(); return 'cleared'
                            def __hash__(self): return 1
                        class ClearsList:
                            def __init__(self, l): self.l = l
                            def __str__(self):
                                self.l.clear(); return 'cleared'
                        def dict_result():
                            d = {}
                            d[ClearsDict(d)] = [object() for _ in range(100)]
                            d['other'] = 'x'
                            return d
                        def list_result():
                            outer = []
                            outer.extend([[ClearsList(outer)], [object()], 'tail'])
                            return outer
                        def value_result():
                            d = {'a': None, 'b': 2}
                            d['a'] = ClearsDict(d)
                            return d
                        """);
                for (String function : List.of("dict_result", "list_result", "value_result")) {
                    try {
                        Object result = context.call(null, function, null, null);
                        assertNotNull(result);
                    } catch (IllegalArgumentException e) {
                        assertTrue(e.getMessage(), e.getMessage().contains("changed size while it was converted"));
                    }
                }
                assertEquals(2L, context.eval("1 + 1")); // alive
            }
        }
    }

    @Test
    public void aMemoryCappedContextCannotStartThreads() {
        try (PyContext capped = EmbeddedPython.create(engine, ContextOptions.mode("owngil").withMemoryLimit(256L << 20))) {
            PyException e = assertThrows(PyException.class,
                    () -> capped.exec("import threading\nthreading.Thread(target=lambda: None).start()"));
            assertEquals("RuntimeError", e.pythonType());
            assertEquals("a context with a memory limit cannot start threads: pyhost counts its memory while a call runs",
                    e.pythonMessage());
            assertEquals(2L, capped.eval("1 + 1"));
        }
    }

    private void awaitIdle(PyContext context, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (infoOf(context).state() != ContextInfo.State.IDLE) {
            assertTrue("context " + context.id() + " still " + infoOf(context).state(), System.nanoTime() < deadline);
            Thread.sleep(20);
        }
    }
}
