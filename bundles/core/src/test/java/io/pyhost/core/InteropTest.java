package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyFunction;
import io.pyhost.core.interop.FunctionRegistry;

/** Python calls Java functions (issue 12, first part): the built-in pyhost module, in every mode, on real CPython. */
public class InteropTest extends EngineTest {


    @Before
    public void functions() {
        register("test.inc", (args, kwargs) -> ((Long) args.get(0)) + (Long) kwargs.getOrDefault("by", 1L));
        register("test.fail", (args, kwargs) -> {
            throw new IllegalStateException("no way: " + args);
        });
        register("test.echo", (args, kwargs) -> List.of(args, kwargs));
    }


    @Test
    public void pythonCallsJavaFunctionsInEveryMode() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                assertEquals(mode, 42L, context.eval("__import__('pyhost').call('test.inc', 41)"));
                assertEquals(mode, 50L, context.eval("__import__('pyhost').call('test.inc', 40, by=10)"));
                assertEquals(mode, 8L, context.eval("__import__('pyhost').function('test.inc')(7)"));
                assertEquals(mode, List.of(List.of(1L, "a", List.of(2.5)), Map.of("k", true)),
                        context.eval("__import__('pyhost').call('test.echo', 1, 'a', [2.5], k=True)"));
                @SuppressWarnings("unchecked")
                List<String> names = (List<String>) context.eval("__import__('pyhost').functions()");
                assertTrue(mode + ": " + names, names.containsAll(List.of("test.echo", "test.fail", "test.inc")));
                assertEquals(names.stream().sorted().toList(), names);
            }
        }
    }

    @Test
    public void aJavaExceptionIsAJavaErrorInPythonAndItsCauseInJava() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        import pyhost
                        try:
                            pyhost.call('test.fail', 1)
                        except pyhost.JavaError as e:
                            caught = (type(e).__name__, e.java_type, e.java_message, isinstance(e, Exception))
                        """);
                assertEquals(mode, List.of("JavaError", "java.lang.IllegalStateException", "no way: [1]", true), context.eval("list(caught)"));
                PyException uncaught = assertThrows(PyException.class, () -> context.eval("__import__('pyhost').call('test.fail', 2)"));
                assertEquals("JavaError", uncaught.pythonType());
                assertTrue(mode + ": " + uncaught.getCause(), uncaught.getCause() instanceof IllegalStateException);
                assertEquals("no way: [2]", uncaught.getCause().getMessage());
            }
        }
    }

    @Test
    public void anAbsentOrDepartedFunctionIsServiceUnavailable() {
        long id = register("test.leaving", (args, kwargs) -> "here");
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                PyException absent = assertThrows(PyException.class, () -> context.eval("__import__('pyhost').call('test.nobody')"));
                assertEquals("ServiceUnavailable", absent.pythonType());
                assertTrue(absent.pythonMessage(), absent.pythonMessage().contains("no function 'test.nobody' is registered"));
                assertEquals(Boolean.TRUE, context.eval("issubclass(__import__('pyhost').ServiceUnavailable, __import__('pyhost').JavaError)"));
                if (mode.equals("worker")) {
                    context.exec("leaving = __import__('pyhost').function('test.leaving')");
                    assertEquals("here", context.eval("leaving()"));
                    FunctionRegistry.shared().remove(id);
                    assertEquals("ServiceUnavailable", assertThrows(PyException.class, () -> context.eval("leaving()")).pythonType());
                }
            }
        }
    }

    @Test
    public void badArgumentsGiveClearPythonErrors() {
        register("test.unconvertible", (args, kwargs) -> Thread.currentThread()); // never lent to Python
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                PyException noName = assertThrows(PyException.class, () -> context.eval("__import__('pyhost').call(None)"));
                assertEquals("TypeError", noName.pythonType());
                assertEquals("pyhost.call: the function name must be a str, not NoneType", noName.pythonMessage());
                PyException result = assertThrows(PyException.class, () -> context.eval("__import__('pyhost').call('test.unconvertible')"));
                assertEquals("TypeError", result.pythonType());
                assertTrue(result.pythonMessage(), result.pythonMessage().contains("pyhost does not give Python a Java java.lang.Thread"));
                assertEquals(2L, context.eval("1 + 1"));
            }
        }
    }

    @Test
    public void aPythonThreadCallsJavaAndAnUnpreparedThreadIsRefused() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        import threading, pyhost, sys
                        out = []
                        t = threading.Thread(target=lambda: out.append(pyhost.call('test.inc', 1)))
                        t.start(); t.join()
                        """);
                assertEquals(mode, List.of(2L), context.eval("out"));
                // a thread with a small stack never enters Java (the JVM could not attach it): refused in Python
                context.exec("""
                        small = []
                        def run():
                            try:
                                small.append(pyhost.call('test.inc', 1))
                            except RuntimeError as e:
                                small.append(str(e))
                        threading.stack_size(256 * 1024)
                        try:
                            t = threading.Thread(target=run)
                            t.start(); t.join()
                        finally:
                            threading.stack_size(0)
                        """);
                String refused = (String) context.eval("small[0]");
                assertTrue(mode + ": " + refused, refused.startsWith("pyhost: this thread cannot call Java"));
            }
        }
        // a thread started around the wrapped _thread (a fresh copy of the module) never reaches Java
        try (PyContext context = EmbeddedPython.create(engine, io.pyhost.api.ContextOptions.mode("worker"))) {
            context.exec("""
                    import sys, time, pyhost
                    saved = sys.modules.pop('_thread')
                    import _thread as fresh
                    sys.modules['_thread'] = saved
                    result = []
                    def run():
                        try:
                            result.append(pyhost.call('test.inc', 1))
                        except RuntimeError as e:
                            result.append(str(e))
                    fresh.start_new_thread(run, ())
                    end = time.monotonic() + 5
                    while not result and time.monotonic() < end:
                        time.sleep(0.01)
                    """);
            String refused = (String) context.eval("result[0]");
            assertTrue(refused, refused.startsWith("pyhost: this thread cannot call Java"));
        }
    }

    @Test
    public void javaCanCallBackIntoTheSameContextInline() {
        AtomicReference<PyContext> self = new AtomicReference<>();
        register("test.reenter", (args, kwargs) -> self.get().eval("base * 2"));
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                self.set(context);
                context.exec("base = 21");
                assertEquals(mode, 42L, context.eval("__import__('pyhost').call('test.reenter')"));
                assertEquals(mode, 42L, context.eval("__import__('pyhost').call('test.reenter')", null, Duration.ofSeconds(5)));
            }
        }
    }

    @Test
    public void theWorkerGilIsReleasedWhileJavaRuns() throws Exception {
        CountDownLatch inJava = new CountDownLatch(1);
        register("test.slow", (args, kwargs) -> {
            inJava.countDown();
            Thread.sleep(1500);
            return "slept";
        });
        try (PyContext slow = EmbeddedPython.create(engine, "worker"); PyContext other = EmbeddedPython.create(engine, "worker")) {
            Thread caller = Thread.ofPlatform().start(() -> slow.eval("__import__('pyhost').call('test.slow')"));
            assertTrue(inJava.await(10, TimeUnit.SECONDS));
            long start = System.nanoTime();
            assertEquals(499500L, other.eval("sum(range(1000))"));
            assertTrue("the other worker context waited " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms",
                    System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1000));
            caller.join(10_000);
        }
    }

    @Test
    public void aTimeoutCoversTimeSpentInJava() {
        register("test.sleep", (args, kwargs) -> {
            Thread.sleep((Long) args.get(0));
            return null;
        });
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import pyhost\nafter = []");
                long start = System.nanoTime();
                PyException e = assertThrows(PyException.class,
                        () -> context.exec("pyhost.call('test.sleep', 1500)\nafter.append('ran on')", Duration.ofMillis(300)));
                assertTrue(e.toString(), e.isTimeout());
                assertTrue("released after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms",
                        System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1300));
                // once Java returns, the interrupt lands before the next statement
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                PyException busy = null;
                while (System.nanoTime() < deadline) {
                    try {
                        assertEquals(List.of(), context.eval("after", null, Duration.ofSeconds(5)));
                        busy = null;
                        break;
                    } catch (PyException stillBusy) {
                        busy = stillBusy;
                    }
                }
                assertNull(busy);
            }
        }
    }
}
