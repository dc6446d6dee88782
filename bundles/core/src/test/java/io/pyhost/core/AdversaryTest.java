package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
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
 * A hostile reviewer's attacks on the containment code (issue 11): Python code and Java callers
 * trying to crash the JVM, hang a caller or close, leak an interpreter or thread, or lose a
 * result. Every wait here is bounded; attacks that could take the JVM down run in a JVM of their
 * own ({@link AdversaryProbe}). See ADVERSARY-NOTES.md for what each one found.
 */
public class AdversaryTest extends EngineTest {
    private static final long SLACK_MILLIS = 1500;

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static ContextInfo infoOf(PyContext context) {
        return ((PythonContext) context).info("test");
    }

    /** Waits until the context is idle; returns how long that took. */
    private static long awaitIdle(PyContext context, Duration bound) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        while (infoOf(context).state() != ContextInfo.State.IDLE) {
            assertTrue("context " + context.id() + " still " + infoOf(context).state(), System.nanoTime() < deadline);
            Thread.sleep(10);
        }
        return millisSince(start);
    }

    /** Waits until the engine no longer lists the context; returns how long that took, or -1 if it still does at the bound. */
    private long awaitGone(PyContext context, Duration bound) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        while (engine.contexts().contains(context)) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            Thread.sleep(20);
        }
        return millisSince(start);
    }

    // ------------------------------------------------------------------ attacks in a JVM of their own

    private static void assertProbeHolds(String... args) throws Exception {
        AdversaryProbe.assertHolds("adversary", args);
    }

    /** A weakref callback that drops the GIL while the shared code cache evicts must not leave a freed code object in it. */
    @Test
    public void codeCacheEvictionThatRunsPythonNeverKeepsAFreedCodeObject() throws Exception {
        assertProbeHolds("codeCacheEviction");
    }

    /** pyhost.call at CPython's deepest recursion and from __del__ during a deep deallocation, in every mode and thread kind. */
    @Test
    public void anUpcallAtTheDeepestRecursionNeverCrashesTheJvm() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("upcallAtTheDeepestPoint", mode);
        }
    }

    /** print() and logging (each an upcall) at CPython's deepest recursion and from __del__, in every mode and thread kind. */
    @Test
    public void outputAndLoggingAtTheDeepestRecursionNeverCrashTheJvm() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("outputAtTheDeepestPoint", mode);
        }
    }

    /** sys._current_frames() reaches other interpreters' frames without their GIL (heap corruption): refused everywhere. */
    @Test
    public void crossInterpreterFrameIntrospectionIsRefused() throws Exception {
        assertProbeHolds("currentFramesAcrossInterpreters");
    }

    /** `_interpreters.destroy` from an unsandboxed worker or subinterp context on another context's interpreter. */
    @Test
    public void pythonCannotDestroyAnotherContextsInterpreter() throws Exception {
        assertProbeHolds("destroyAnotherInterpreter", "worker");
        assertProbeHolds("destroyAnotherInterpreter", "subinterp");
    }

    /** `_interpreters.exec` into another context's interpreter while that context is closed. */
    @Test
    public void pythonCannotRunCodeInsideAnotherContextsInterpreter() throws Exception {
        assertProbeHolds("execInAnotherInterpreter", "worker");
    }

    // ------------------------------------------------------------------ close races and bounds

    /** close() from a thread whose interrupt flag is set (an executor's shutdownNow, a stopping bundle) must still release the context. */
    @Test
    public void closeFromAnInterruptedThreadStillReleasesTheContext() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            PyContext context = EmbeddedPython.create(engine, mode);
            context.eval("1 + 1");
            Thread closer = Thread.ofPlatform().start(() -> {
                Thread.currentThread().interrupt();
                context.close();
            });
            closer.join(10_000);
            assertFalse(closer.isAlive());
            assertTrue(mode + ": an idle context closed from an interrupted thread is still listed (abandoned) after 3 s",
                    awaitGone(context, Duration.ofSeconds(3)) >= 0);
        }
        assertEquals(List.of(), engine.contexts());
    }

    /** Core stop (closeAll) while a worker call is stuck in C: bounded by the close timeout, not by the C code. */
    @Test
    public void closeAllIsBoundedWhileAWorkerCallIsStuckInC() throws Exception {
        engine.setCloseTimeout(Duration.ofSeconds(1));
        PyContext stuck = EmbeddedPython.create(engine, "worker");
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                stuck.eval("__import__('re').match(r'(a+)+$', 'a' * 27 + 'b')", null, Duration.ofSeconds(1)); // ~8 s of C
            } catch (RuntimeException expected) {
                // timeout
            }
        });
        Thread.sleep(300); // the regex holds the main GIL now
        long start = System.nanoTime();
        Thread closer = Thread.ofPlatform().start(() -> engine.closeAll("core stopped"));
        closer.join(30_000);
        long took = millisSince(start);
        caller.join(30_000);
        assertTrue("closeAll took " + took + " ms with a close timeout of 1000 ms", took < 1000 + SLACK_MILLIS);
    }

    /**
     * A call that takes the permit just as close() begins: close() must interrupt it (or it must
     * not start), else a call without a timeout runs on in a closed context for ever.
     */
    @Test
    public void aCallRacingCloseIsNeverLeftRunningUninterrupted() throws Exception {
        engine.setCloseTimeout(Duration.ofMillis(500));
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 300; i++) {
                PyContext context = EmbeddedPython.create(engine, "worker");
                context.exec("import time");
                CountDownLatch go = new CountDownLatch(1);
                Future<?> call = callers.submit(() -> {
                    go.await();
                    try {
                        context.exec("end = time.monotonic() + 20\nwhile time.monotonic() < end: pass"); // no timeout
                    } catch (RuntimeException expected) {
                        // closed, or interrupted by close
                    }
                    return null;
                });
                Future<?> close = callers.submit(() -> {
                    go.await();
                    context.close();
                    return null;
                });
                go.countDown();
                close.get(10, TimeUnit.SECONDS);
                try {
                    call.get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("iteration " + i + ": a call that started as close() began was never interrupted");
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    /**
     * close() from many threads at once while a call that swallows every interrupt runs: each
     * closer returns within the bound; the context is abandoned until the loop ends by itself
     * (CPython 3.14 delivers an async exception right after the next C call, inside the try).
     */
    @Test
    public void closeFromManyThreadsAtOnceIsBounded() throws Exception {
        engine.setCloseTimeout(Duration.ofSeconds(1));
        for (String mode : EmbeddedPython.MODES) {
            PyContext context = EmbeddedPython.create(engine, mode);
            context.exec("import time");
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    // catches every interrupt, ends by itself after 12 s
                    context.exec("end = time.monotonic() + 12\nwhile time.monotonic() < end:\n    try:\n        time.sleep(0.01)\n    except BaseException:\n        pass");
                } catch (RuntimeException expected) {
                    // interrupted or closed
                }
            });
            Thread.sleep(100);
            List<Thread> closers = new ArrayList<>();
            AtomicInteger slow = new AtomicInteger();
            for (int i = 0; i < 16; i++) {
                closers.add(Thread.ofVirtual().start(() -> {
                    long start = System.nanoTime();
                    context.close();
                    if (millisSince(start) > 1000 + SLACK_MILLIS) {
                        slow.incrementAndGet();
                    }
                }));
            }
            for (Thread t : closers) {
                t.join(10_000);
            }
            assertEquals(mode, 0, slow.get());
            caller.join(20_000);
            assertFalse(mode + ": the call never ended", caller.isAlive());
            assertTrue(mode, awaitGone(context, Duration.ofSeconds(20)) >= 0);
        }
    }

    /** interrupt() storms from many threads while calls come and go never hit the wrong call nor a later one. */
    @Test
    public void interruptStormsNeverLeakIntoLaterCalls() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import time");
                AtomicInteger stop = new AtomicInteger();
                List<Thread> stormers = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    stormers.add(Thread.ofPlatform().start(() -> {
                        while (stop.get() == 0) {
                            context.interrupt();
                            Thread.onSpinWait();
                        }
                    }));
                }
                int interrupted = 0;
                try {
                    for (int i = 0; i < 100; i++) {
                        try {
                            context.exec("time.sleep(0.002)", Duration.ofSeconds(5));
                        } catch (PyException e) {
                            assertTrue(mode + ": " + e, e.isInterrupted());
                            interrupted++;
                        }
                    }
                } finally {
                    stop.set(1);
                    for (Thread t : stormers) {
                        t.join(5000);
                    }
                }
                // after the storm: no stale KeyboardInterrupt is left for the next calls
                for (int i = 0; i < 50; i++) {
                    assertEquals(mode, 6L, context.eval("sum(range(4))", null, Duration.ofSeconds(5)));
                    context.exec("x = 0\nfor _ in range(2000): x += 1", Duration.ofSeconds(5));
                }
                assertTrue(mode + ": the storm interrupted something", interrupted > 0);
            }
        }
    }

    /**
     * While a call's exception is described for Java, interrupts are held back (an interrupt storm
     * must not turn the description into a second exception) — but only for a while: an exception
     * whose {@code __str__} never returns is still timed out, and the context is usable after.
     */
    @Test
    public void anExceptionWhoseDescriptionNeverEndsIsStillTimedOut() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        class Endless(Exception):
                            def __str__(self):
                                while True:
                                    pass
                        """);
                long start = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> context.exec("raise Endless()", Duration.ofSeconds(1)));
                assertTrue(mode + ": " + e, e.isTimeout());
                assertTrue(mode + ": the caller was held past its deadline", System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                Object two = null;
                while (two == null && System.nanoTime() < deadline) {
                    try {
                        two = context.eval("1 + 1");
                    } catch (ContextBusyException busy) {
                        Thread.onSpinWait(); // the interrupted description is still ending
                    }
                }
                assertEquals(mode, 2L, two);
            }
        }
    }

    // ------------------------------------------------------------------ lanes

    /** mainLanes = 1, a call stuck in C, virtual callers queued with timeouts: each is released at its own deadline. */
    @Test
    public void virtualCallersQueuedBehindAFullLanePoolGetTheirTimeouts() throws Exception {
        engine.setMainLanes(1);
        try {
            PyContext stuck = EmbeddedPython.create(engine, "worker");
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    stuck.eval("__import__('re').match(r'(a+)+$', 'a' * 26 + 'b')", null, Duration.ofMillis(500));
                } catch (RuntimeException expected) {
                    // timeout
                }
            });
            Thread.sleep(200);
            List<PyContext> others = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                others.add(EmbeddedPython.create(engine, ContextOptions.mode("worker")));
            }
            AtomicInteger late = new AtomicInteger();
            AtomicInteger wrong = new AtomicInteger();
            try (var virtual = Executors.newVirtualThreadPerTaskExecutor()) {
                for (PyContext other : others) {
                    virtual.execute(() -> {
                        long start = System.nanoTime();
                        try {
                            other.eval("1 + 1", null, Duration.ofMillis(300));
                        } catch (PyException e) {
                            if (!e.isTimeout()) {
                                wrong.incrementAndGet();
                            }
                        }
                        if (millisSince(start) > 300 + SLACK_MILLIS) {
                            late.incrementAndGet();
                        }
                    });
                }
            }
            assertEquals(0, late.get());
            assertEquals(0, wrong.get());
            caller.join(30_000);
            awaitIdle(stuck, Duration.ofSeconds(20));
            for (PyContext other : others) {
                awaitIdle(other, Duration.ofSeconds(20));
                assertEquals(2L, other.eval("1 + 1", null, Duration.ofSeconds(20)));
            }
        } finally {
            engine.setMainLanes(io.pyhost.core.bridge.PythonRuntime.DEFAULT_MAIN_LANES);
        }
    }

    // ------------------------------------------------------------------ interrupts that stop working

    /**
     * sys.setswitchinterval(1e6) in a sandboxed own-GIL context, then a loop: the interrupter never
     * gets the GIL, so the timed-out call runs on as if it were C code (here for 6 s, by itself).
     */
    @Test
    public void aHugeSwitchIntervalMustNotMakeAPythonLoopUninterruptible() throws Exception {
        try (PyContext context = EmbeddedPython.create(engine, "owngil")) { // sandboxed by default
            long start = System.nanoTime();
            PyException e = assertThrows(PyException.class, () -> context.exec("""
                    import sys, time
                    sys.setswitchinterval(1e6)
                    end = time.monotonic() + 6
                    while time.monotonic() < end:
                        pass
                    """, Duration.ofSeconds(1)));
            assertTrue(e.toString(), e.isTimeout() || e.pythonType().equals("RuntimeError"));
            long stopped = millisSince(start) + awaitIdle(context, Duration.ofSeconds(20));
            assertTrue("the Python loop ran " + stopped + " ms despite a 1000 ms timeout", stopped < 1000 + SLACK_MILLIS);
        }
    }

    /**
     * A capped context that catches MemoryError and keeps allocating: in-process nothing can fail
     * the allocation itself, so the cap is advisory against such code (README), but it keeps
     * raising while the context is over it. (Bounded: the loop stops by itself after 4 million
     * small objects.)
     */
    @Test
    public void aCappedContextThatCatchesMemoryErrorKeepsGettingIt() throws Exception {
        try (PyContext context = EmbeddedPython.create(engine, ContextOptions.mode("owngil").withMemoryLimit(16L << 20))) {
            context.exec("""
                    hog = []
                    caught = 0
                    while True:  # every back-edge of the filling loops is inside the try: a MemoryError lands there
                        try:
                            while len(hog) < 4_000_000:
                                for _ in range(1000):
                                    hog.append([])
                            break
                        except MemoryError:
                            caught += 1
                    """, Duration.ofSeconds(30));
            long held = (Long) context.eval("len(hog)");
            long caught = (Long) context.eval("caught");
            context.exec("hog = None");
            assertTrue("the loop ran to its end: " + held, held >= 4_000_000L);
            assertTrue("MemoryError raised again and again while over the cap: " + caught, caught >= 5);
        }
    }

    // ------------------------------------------------------------------ conversion

    /** A set subclass whose __iter__ is C code: the conversion must not follow it (uninterruptible, unbounded). */
    @Test
    public void aSetSubclassWithAnEndlessCIteratorIsNotFollowed() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        import itertools
                        class Endless(set):
                            def __iter__(self):
                                return itertools.repeat(1, 30_000_000)
                        class Counting(frozenset):
                            def __iter__(self):
                                return iter(range(3))
                        """);
                long start = System.nanoTime();
                Object result;
                try {
                    result = context.eval("Endless({5, 6})", null, Duration.ofSeconds(1));
                } catch (PyException e) {
                    result = e;
                }
                long stopped = millisSince(start) + awaitIdle(context, Duration.ofSeconds(60));
                assertTrue(mode + ": converting the set took " + stopped + " ms with a 1000 ms timeout", stopped < 1000 + SLACK_MILLIS);
                assertEquals(mode, Set.of(5L, 6L), result);
                assertEquals(mode, Set.of(), context.eval("Counting()"));
            }
        }
    }

    /** Values and exceptions whose __str__, __module__ or size misbehave: clear answers, the context keeps working. */
    @Test
    public void hostileStrAndExceptionObjectsGiveClearAnswers() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        import sys
                        class Raises:
                            def __str__(self): raise ValueError('no str')
                        class Deep:
                            def __str__(self): return str(Deep())
                        class Exits:
                            def __str__(self): sys.exit(4)
                        class NotStr:
                            def __str__(self): return 42
                        class S(str):
                            def __str__(self): return 99
                        class Adds:
                            def __add__(self, other): return self
                            def __bool__(self): return True
                        class BadModuleError(Exception):
                            pass
                        BadModuleError.__module__ = Adds()
                        class StrRaisesError(Exception):
                            def __str__(self): raise RuntimeError('nope')
                        class StrDeepError(Exception):
                            def __str__(self): return str(StrDeepError())
                        class StrExitsError(Exception):
                            def __str__(self): sys.exit(5)
                        class HugeError(Exception):
                            def __str__(self): return 'x' * 20_000_000
                        """);
                assertThrowsPy(mode, "ValueError", () -> context.eval("Raises()"));
                assertThrowsPy(mode, "RecursionError", () -> context.eval("Deep()"));
                assertThrowsPy(mode, "SystemExit", () -> context.eval("Exits()"));
                assertThrowsPy(mode, "TypeError", () -> context.eval("NotStr()"));
                assertEquals(mode, "abc", context.eval("S('abc')"));
                PyException bad = assertThrows(PyException.class, () -> context.exec("raise BadModuleError('m')"));
                assertEquals(mode, "m", bad.pythonMessage());
                for (String type : List.of("StrRaisesError", "StrDeepError", "StrExitsError")) {
                    PyException e = assertThrows(PyException.class, () -> context.exec("raise " + type + "()"));
                    assertEquals(mode, type, e.pythonType());
                }
                PyException huge = assertThrows(PyException.class, () -> context.exec("raise HugeError()"));
                assertEquals(mode, 20_000_000, huge.pythonMessage().length());
                assertEquals(mode, 2L, context.eval("1 + 1"));
            }
        }
    }

    private static void assertThrowsPy(String mode, String type, org.junit.function.ThrowingRunnable r) {
        PyException e = assertThrows(PyException.class, r);
        assertEquals(mode + ": " + e, type, e.pythonType());
    }

    /** sys.exit(), SystemExit, KeyboardInterrupt and GeneratorExit at top level are plain exceptions to the caller. */
    @Test
    public void exitAndInterruptExceptionsAtTopLevelArePlainExceptions() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                assertThrowsPy(mode, "SystemExit", () -> context.exec("import sys\nsys.exit(3)"));
                assertThrowsPy(mode, "SystemExit", () -> context.exec("raise SystemExit('bye')"));
                PyException ki = assertThrows(PyException.class, () -> context.exec("raise KeyboardInterrupt"));
                assertEquals(mode, "KeyboardInterrupt", ki.pythonType());
                assertTrue(mode, ki.isGuestException());
                assertThrowsPy(mode, "GeneratorExit", () -> context.exec("raise GeneratorExit"));
                assertEquals(mode, 2L, context.eval("1 + 1"));
            }
        }
    }

    /** A huge recursion limit, then C recursion (repr of a deeply nested list, in a thread with a small stack too). */
    @Test
    public void aHugeRecursionLimitThenCRecursionNeverCrashes() {
        for (String mode : List.of("owngil", "subinterp")) { // the worker interpreter's limit is process-wide state of the test JVM
            try (PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false))) {
                context.exec("""
                        import sys, threading
                        sys.setrecursionlimit(10**6)
                        outcome = []
                        def attack():
                            l = []
                            for _ in range(200_000):
                                l = [l]
                            try:
                                repr(l)
                                outcome.append('repr')
                            except RecursionError:
                                outcome.append('RecursionError')
                            def r(n): return r(n + 1)
                            try:
                                r(0)
                            except RecursionError:
                                outcome.append('RecursionError')
                        attack()
                        threading.stack_size(53248)
                        t = threading.Thread(target=attack)
                        t.start()
                        t.join()
                        threading.stack_size(0)
                        """, Duration.ofSeconds(60));
                assertEquals(mode, List.of("RecursionError", "RecursionError", "RecursionError", "RecursionError"), context.eval("outcome"));
            }
        }
    }

    // ------------------------------------------------------------------ threads at close

    private static final String RAW_THREAD = """
            import _thread, time
            def busy():
                while True:
                    time.sleep(0.001)
            _thread.start_new_thread(busy, ())
            """;
    private static final String DAEMON_THREAD = """
            import threading, time
            def busy():
                while True:
                    l = [object() for _ in range(100)]
                    time.sleep(0.001)
            threading.Thread(target=busy, daemon=True).start()
            """;

    /**
     * A raw {@code _thread.start_new_thread} thread sleeping in a loop when its sub-interpreter is
     * closed: Py_EndInterpreter frees its thread state under it, and it crashes the JVM when it
     * wakes (subinterp, default options). Daemon threads of legacy sub-interpreters likewise.
     */
    @Test
    public void rawAndDaemonThreadsAtCloseNeverCrashTheJvm() throws Exception {
        assertProbeHolds("closeWith", "subinterp", RAW_THREAD, "5");
        assertProbeHolds("closeWith", "owngil", RAW_THREAD, "5");
        assertProbeHolds("closeWith", "subinterp", DAEMON_THREAD, "5");
    }

    /**
     * A non-daemon thread that catches SystemExit: close() returns in time; the interpreter stays
     * abandoned (listed) for as long as the thread refuses to stop (here 8 s), then ends.
     */
    @Test
    public void aThreadThatCatchesSystemExitKeepsItsInterpreterAbandonedUntilItStops() throws Exception {
        engine.setCloseTimeout(Duration.ofSeconds(1));
        PyContext context = EmbeddedPython.create(engine, "subinterp");
        context.exec("""
                import threading, time
                def stubborn():
                    end = time.monotonic() + 8
                    while time.monotonic() < end:
                        try:
                            while time.monotonic() < end:
                                time.sleep(0.005)
                        except BaseException:
                            pass
                threading.Thread(target=stubborn).start()
                """);
        long start = System.nanoTime();
        context.close();
        assertTrue("close took " + millisSince(start) + " ms", millisSince(start) < 1000 + SLACK_MILLIS);
        assertEquals(ContextInfo.State.ABANDONED, ((PythonContext) context).info("test").state());
        long gone = awaitGone(context, Duration.ofSeconds(20));
        assertTrue("the interpreter ended " + gone + " ms after close, once the thread stopped", gone >= 0);
    }

    /** An atexit callback that blocks: close() returns in time; the interpreter ends when the callback returns. */
    @Test
    public void anAtexitCallbackThatBlocksKeepsItsInterpreterAbandonedUntilItReturns() throws Exception {
        engine.setCloseTimeout(Duration.ofSeconds(1));
        PyContext context = EmbeddedPython.create(engine, "owngil");
        context.exec("""
                import atexit, time
                def slow():
                    end = time.monotonic() + 8
                    while time.monotonic() < end:
                        pass
                atexit.register(slow)
                """);
        long start = System.nanoTime();
        context.close();
        assertTrue("close took " + millisSince(start) + " ms", millisSince(start) < 1000 + SLACK_MILLIS);
        assertEquals(ContextInfo.State.ABANDONED, ((PythonContext) context).info("test").state());
        long gone = awaitGone(context, Duration.ofSeconds(20));
        assertTrue("the interpreter ended " + gone + " ms after close, once the callback returned", gone >= 0);
    }

    /** A capped context closed while over its cap, and many capped contexts made and closed quickly: the watch thread ends. */
    @Test
    public void cappedContextsClosedOverTheirCapLeaveNoWatchBehind() throws Exception {
        for (int i = 0; i < 12; i++) {
            PyContext capped = EmbeddedPython.create(engine, ContextOptions.mode("owngil").withMemoryLimit(16L << 20));
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    capped.exec("hog = []\nwhile True:\n    try:\n        hog.append([[] for _ in range(1000)])\n    except MemoryError:\n        pass",
                            Duration.ofSeconds(10));
                } catch (RuntimeException expected) {
                    // interrupted by close
                }
            });
            Thread.sleep(30);
            capped.close();
            caller.join(10_000);
            assertFalse(caller.isAlive());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("pyhost-memory-watch"))) {
            assertTrue("pyhost-memory-watch still runs with no capped context left", System.nanoTime() < deadline);
            Thread.sleep(20);
        }
        assertEquals(0, engine.contexts().size());
    }

    /** Busy rule: a timeout while the context is overdue names the busy call; a caller without a timeout is refused. */
    @Test
    public void overdueContextRefusesUntimedCallsAndTimedCallsWaitWithinTheirTimeout() throws Exception {
        try (PyContext context = EmbeddedPython.create(engine, "subinterp")) {
            // 28: a few seconds of C on any machine here (26 ended within the 1.5 s below on a quiet one)
            assertThrows(PyException.class, () -> context.eval("__import__('re').match(r'(a+)+$', 'a' * 28 + 'b')", null, Duration.ofMillis(200)));
            Thread.sleep(1300);
            assertThrows(ContextBusyException.class, () -> context.eval("1"));
            awaitIdle(context, Duration.ofSeconds(30));
            assertEquals(1L, context.eval("1"));
        }
    }
}
