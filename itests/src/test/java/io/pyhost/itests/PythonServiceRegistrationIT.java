package io.pyhost.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyFunction;
import io.pyhost.itests.api.Greeter;
import io.pyhost.itests.api.Tally;

/**
 * Python objects become OSGi services ({@code pyhost.register}), in every mode, in real Felix: the
 * interface comes from the bundle that exports it (pyhost-itests-api, not core nor the probe); a
 * Java consumer finds the service in the registry with the properties Python gave and calls it;
 * results are fitted to the return types; Python exceptions reach Java; concurrent Java callers,
 * re-entry (Java → Python → Java → the same context) and Python threads calling Java work; the
 * registration ends with {@code unregister()} or with its context; bad arguments are refused.
 */
@RunWith(PaxExam.class)
public class PythonServiceRegistrationIT extends InteropTestSupport {

    /** A Greeter in Python; {@code hello} is left to the interface's default method. */
    private static final String GREETER_CLASS = """
            import pyhost
            GREETER = %s
            class G:
                def count(self, text):
                    return len(text)
                def greet(self, name):
                    return 'hello ' + name
                def words(self, text):
                    return text.split()
                def even(self, n):
                    return n %% 2 == 0
                def broken(self):
                    return 'not an int'
                def fail(self, why):
                    raise ValueError(why)
                def reenter(self, x):
                    return pyhost.call('it.reenter', x)
                def remember(self, text):
                    REMEMBERED.append(text)
                    return 'ignored: the method is void'
                def describe(self, tally):
                    return f'{tally.label()}={tally.total()} {type(tally).__name__}'
                def echo(self, tally):
                    return tally
                def kind(self, value):
                    return type(value).__name__
            REMEMBERED = []
            class Big(G):
                def count(self, text):
                    return 2 ** 40
                def words(self, text):
                    return [1, 2]
                def even(self, n):
                    return None
            """.formatted(pyString(GREETER));

    /** A Tally Java gives to Python. */
    private record SimpleTally(String label, int total) implements Tally {
        @Override
        public void add(int n) {
            throw new UnsupportedOperationException();
        }
    }

    /** The one Greeter whose property it.key is {@code key}. */
    private ServiceReference<Greeter> greeter(String key) {
        List<ServiceReference<Greeter>> found = references(Greeter.class, "it.key", key);
        assertEquals("Greeter services with it.key=" + key, 1, found.size());
        return found.get(0);
    }

    /** Runs {@code work} on another thread and fails (never hangs) when it takes longer than {@code seconds}. */
    private static <T> T within(int seconds, String what, Callable<T> work) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<T> result = thread.submit(work);
            try {
                return result.get(seconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                result.cancel(true);
                throw new AssertionError(what + " did not finish within " + seconds + " s (deadlock?)");
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw new AssertionError(e.getCause());
            }
        } finally {
            thread.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ e: a Python object as a service

    @Test
    public void aJavaConsumerCallsAPythonServiceWithResultsFittedToTheReturnTypes() {
        forEachMode(mode -> {
            String key = "fit-" + mode;
            try (PyContext ctx = create(mode)) {
                ctx.exec(GREETER_CLASS + "reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key)
                        + ", 'it.n': 5, 'it.tags': ['a', 'b']})");
                ServiceReference<Greeter> ref = greeter(key);
                // the properties Python gave, the host pyhost adds, the registration's view of itself
                assertEquals(mode, 5L, ref.getProperty("it.n"));
                assertEquals(mode, List.of("a", "b"), ref.getProperty("it.tags"));
                assertEquals(mode, "context " + ctx.id() + " (" + mode + ")", ref.getProperty("pyhost.host"));
                assertArrayEquals(mode, new String[] {GREETER}, (String[]) ref.getProperty(Constants.OBJECTCLASS));
                assertEquals(mode, ref.getProperty(Constants.SERVICE_ID), ctx.eval("reg.service_id"));
                assertEquals(mode, List.of(GREETER), ctx.eval("list(reg.type_names)"));
                assertTrue(mode, String.valueOf(ctx.eval("repr(reg)")).contains(GREETER));
                // the interface is the exporting bundle's: a consumer wired to it can use the service
                assertTrue(mode, ref.isAssignableTo(bundleContext.getBundle(), GREETER));

                Greeter g = bundleContext.getService(ref);
                try {
                    assertEquals(mode, 5, g.count("hello"));
                    assertEquals(mode, "hello Java", g.greet("Java"));
                    assertEquals(mode, List.of("a", "b", "c"), g.words(" a b  c "));
                    assertTrue(mode, g.even(4));
                    assertFalse(mode, g.even(3));
                    assertEquals(mode, "hello from the Java default", g.hello());
                    g.remember("kept");
                    assertEquals(mode, List.of("kept"), ctx.eval("REMEMBERED"));
                    // a Java object the value table does not convert is a JavaObject in Python, and itself when it comes back
                    Tally pears = new SimpleTally("pears", 4);
                    assertEquals(mode, "pears=4 JavaObject", g.describe(pears));
                    assertSame(mode, pears, g.echo(pears));
                    assertTrue(mode + ": " + g, g.toString().contains("context " + ctx.id() + " (" + mode + ")"));
                    // arguments go through the value table; what it does not convert is lent, except what is never lent
                    assertEquals(mode, "list", g.kind(List.of(1, 2)));
                    assertEquals(mode, "int", g.kind(7));
                    assertEquals(mode, "NoneType", g.kind(null));
                    assertEquals(mode, "JavaObject", g.kind(new StringBuilder("lent")));
                    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> g.kind(bundleContext));
                    assertTrue(mode + ": " + refused.getMessage(), refused.getMessage().contains("pyhost does not give Python a Java"));
                    assertThrows(IllegalArgumentException.class, () -> g.kind(Thread.currentThread()));
                    assertEquals(mode, "str", g.kind("after the refusals"));

                    ClassCastException wrongType = assertThrows(ClassCastException.class, g::broken);
                    assertTrue(mode + ": " + wrongType.getMessage(), wrongType.getMessage().contains("broken"));
                    PyException raised = assertThrows(PyException.class, () -> g.fail("on purpose"));
                    assertEquals(mode, "ValueError", raised.pythonType());
                    assertEquals(mode, "on purpose", raised.pythonMessage());
                    // after both, the service and the context work
                    assertEquals(mode, "hello again", g.greet("again"));
                    assertEquals(mode, 2L, ctx.eval("1 + 1"));
                } finally {
                    bundleContext.ungetService(ref);
                }

                // a method the Python object lacks (and the interface has no default for) is Python's AttributeError
                ctx.exec("class Partial:\n    def count(self, text):\n        return 1\n"
                        + "partial = pyhost.register(GREETER, Partial(), {'it.key': " + pyString(key + "-partial") + "})");
                ServiceReference<Greeter> partialRef = greeter(key + "-partial");
                Greeter partial = bundleContext.getService(partialRef);
                assertEquals(mode, 1, partial.count("x"));
                assertEquals(mode, "AttributeError", assertThrows(PyException.class, () -> partial.greet("x")).pythonType());
                assertEquals(mode, "hello from the Java default", partial.hello());
                bundleContext.ungetService(partialRef);

                // a result that would lose information in the return type is refused, not narrowed
                ctx.exec("big = pyhost.register(GREETER, Big(), {'it.key': " + pyString(key + "-big") + "})");
                ServiceReference<Greeter> bigRef = greeter(key + "-big");
                Greeter big = bundleContext.getService(bigRef);
                assertThrows(ClassCastException.class, () -> big.count("x"));
                assertThrows(ClassCastException.class, () -> big.words("x")); // List<String> is checked element by element
                assertThrows(ClassCastException.class, () -> big.even(2));     // None is no boolean
                bundleContext.ungetService(bigRef);
            }
        });
    }

    @Test
    public void aPythonObjectCanImplementSeveralInterfacesIncludingJdkOnes() {
        forEachMode(mode -> {
            String key = "several-" + mode;
            try (PyContext ctx = create(mode)) {
                ctx.exec(GREETER_CLASS + "RAN = []\nclass Both(G):\n    def run(self):\n        RAN.append('ran')\n"
                        + "reg = pyhost.register([GREETER, 'java.lang.Runnable'], Both(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> ref = greeter(key);
                assertArrayEquals(mode, new String[] {GREETER, Runnable.class.getName()}, (String[]) ref.getProperty(Constants.OBJECTCLASS));
                Object service = bundleContext.getService(ref);
                ((Runnable) service).run();
                assertEquals(mode, "hello both", ((Greeter) service).greet("both"));
                assertEquals(mode, List.of("ran"), ctx.eval("RAN"));
                bundleContext.ungetService(ref);
            }
        });
    }

    @Test
    public void aPythonServiceExportedToPythonWorksFromAnotherContextAndFromItsOwn() {
        forEachMode(mode -> {
            String key = "python-to-python-" + mode;
            String lookup = "pyhost.service(GREETER, '(it.key=" + key + ")')";
            try (PyContext owner = create(mode); PyContext other = create(ContextFactory.WORKER)) {
                owner.exec(GREETER_CLASS + "reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + ", 'pyhost.export': True})");
                other.exec(GREETER_CLASS);
                // another context (a worker one) calls it through Java
                assertEquals(mode, "hello other", within(30, mode + ": another context", () -> other.eval(lookup + ".greet('other')")));
                // the registering context calls its own service: Python -> Java -> the same context, inline
                assertEquals(mode, "hello self", within(30, mode + ": its own context", () -> owner.eval(lookup + ".greet('self')")));
                assertEquals(mode, 4L, within(30, mode + ": its own context", () -> owner.eval(lookup + ".count('self')")));
                owner.exec("reg.unregister()");
                assertRaises(mode, other, "ServiceUnavailable", lookup);
            }
        });
    }

    @Test
    public void aPythonServiceRunsUnderItsContextsCallTimeout() {
        forEachMode(mode -> {
            String key = "timeout-" + mode;
            try (PyContext ctx = create(io.pyhost.api.ContextOptions.mode(mode).withCallTimeout(java.time.Duration.ofMillis(500)))) {
                ctx.exec(GREETER_CLASS + "import time\nclass Slow(G):\n    def greet(self, name):\n        for _ in range(3000):\n            time.sleep(0.01)  # (one long sleep is not interruptible)\n        return 'too late'\n"
                        + "reg = pyhost.register(GREETER, Slow(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> ref = greeter(key);
                Greeter g = bundleContext.getService(ref);
                long started = System.nanoTime();
                PyException timedOut = within(30, mode + ": a call past the timeout", () -> assertThrows(PyException.class, () -> g.greet("slow")));
                double seconds = (System.nanoTime() - started) / 1e9;
                assertEquals(mode + ": " + timedOut, "TimeoutError", timedOut.pythonType());
                assertTrue(mode + ": took " + seconds + " s with a 0.5 s call timeout", seconds < 5);
                assertEquals(mode, 5, g.count("after"));
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
                bundleContext.ungetService(ref);
            }
        });
    }

    @Test
    public void twoJavaThreadsCallingAtOnceBothGetTheirOwnResults() {
        forEachMode(mode -> {
            String key = "threads-" + mode;
            try (PyContext ctx = create(mode)) {
                ctx.exec(GREETER_CLASS + "reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> ref = greeter(key);
                Greeter g = bundleContext.getService(ref);
                CyclicBarrier start = new CyclicBarrier(2);
                ExecutorService threads = Executors.newFixedThreadPool(2);
                try {
                    List<Future<List<String>>> results = new ArrayList<>();
                    for (String who : List.of("left", "right")) {
                        results.add(threads.submit(() -> {
                            List<String> wrong = new ArrayList<>();
                            start.await(10, TimeUnit.SECONDS);
                            for (int i = 0; i < 200; i++) {
                                String name = who + i;
                                String answer = g.greet(name);
                                if (!("hello " + name).equals(answer) || g.count(name) != name.length()) {
                                    wrong.add(name + " -> " + answer);
                                }
                            }
                            return wrong;
                        }));
                    }
                    for (Future<List<String>> result : results) {
                        assertEquals(mode, List.of(), result.get(60, TimeUnit.SECONDS));
                    }
                } finally {
                    threads.shutdownNow();
                    bundleContext.ungetService(ref);
                }
            }
        });
    }

    @Test
    public void javaCallingPythonThatCallsJavaThatCallsTheSameContextAgainWorks() throws Exception {
        AtomicReference<PyContext> target = new AtomicReference<>();
        register(PyFunction.class, (args, kwargs) -> (Long) target.get().eval("FACTOR") * (Long) args.get(0),
                props(PyFunction.NAME, "it.reenter"));
        forEachMode(mode -> {
            String key = "reenter-" + mode;
            try (PyContext ctx = create(mode)) {
                target.set(ctx);
                ctx.exec(GREETER_CLASS + "FACTOR = 3\nreg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> ref = greeter(key);
                Greeter g = bundleContext.getService(ref);
                // Java -> Python (G.reenter) -> Java (pyhost.call) -> the same context (eval FACTOR), on one thread
                assertEquals(mode, 63L, (long) within(30, mode + ": Java -> Python -> Java -> Python", () -> g.reenter(21)));
                // the same from Python: Python -> Java -> the same context
                assertEquals(mode, 30L, within(30, mode + ": Python -> Java -> Python", () -> ctx.eval("pyhost.call('it.reenter', 10)")));
                bundleContext.ungetService(ref);
            } finally {
                target.set(null);
            }
        });
    }

    @Test
    public void aPythonThreadCanCallJava() {
        register(PyFunction.class, (args, kwargs) -> (Long) args.get(0) + (Long) args.get(1), props(PyFunction.NAME, "it.plus"));
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                ctx.exec("""
                        import pyhost, threading
                        out = []
                        def work():
                            try:
                                out.append(pyhost.call('it.plus', 20, 22))
                            except BaseException as e:
                                out.append(repr(e))
                        threads = [threading.Thread(target=work) for _ in range(3)]
                        for t in threads:
                            t.start()
                        for t in threads:
                            t.join(20)
                        alive = [t.name for t in threads if t.is_alive()]
                        """);
                assertEquals(mode, List.of(), ctx.eval("alive"));
                assertEquals(mode, List.of(42L, 42L, 42L), ctx.eval("out"));
            }
        });
    }

    @Test
    public void aPythonThreadRegistersForItsSubInterpretersContextButNotInWorkerMode() {
        forEachMode(mode -> {
            String key = "thread-" + mode;
            PyContext ctx = create(mode);
            ctx.exec(GREETER_CLASS + """
                    import threading
                    res = []
                    def reg():
                        try:
                            res.append(pyhost.register(GREETER, G(), {'it.key': %s}))
                        except BaseException as e:
                            res.append([type(e).__name__, str(e)])
                    t = threading.Thread(target=reg)
                    t.start()
                    t.join(20)
                    """.formatted(pyString(key)));
            if (mode.equals(ContextFactory.WORKER)) {
                assertEquals(mode, "RuntimeError", ctx.eval("res[0][0]"));
                assertTrue(mode, references(Greeter.class, "it.key", key).isEmpty());
            } else {
                assertEquals(mode, true, ctx.eval("isinstance(res[0], pyhost.Registration)"));
                ServiceReference<Greeter> ref = greeter(key);
                assertEquals(mode, "context " + ctx.id() + " (" + mode + ")", ref.getProperty("pyhost.host"));
                Greeter g = bundleContext.getService(ref);
                assertEquals(mode, "hello thread", g.greet("thread"));
                bundleContext.ungetService(ref);
                ctx.close();
                assertTrue(mode + ": the registration ends with its context", references(Greeter.class, "it.key", key).isEmpty());
            }
            assertEquals(mode, 2L, ctx.isClosed() ? 2L : ctx.eval("1 + 1"));
        });
    }

    // ------------------------------------------------------------------ the end of a registration

    @Test
    public void closingTheContextUnregistersItsServicesAndAHeldProxyNamesTheClosedContext() {
        forEachMode(mode -> {
            String key = "close-" + mode;
            PyContext ctx = create(mode);
            long id = ctx.id();
            ctx.exec(GREETER_CLASS + "reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})");
            ServiceReference<Greeter> ref = greeter(key);
            Greeter g = bundleContext.getService(ref);
            assertEquals(mode, "hello before", g.greet("before"));

            ctx.close();
            assertTrue(mode + ": still registered right after close", references(Greeter.class, "it.key", key).isEmpty());
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> g.greet("after"));
            assertTrue(mode + ": " + closed.getMessage(), closed.getMessage().contains("context " + id + " (" + mode + ") is closed"));
            bundleContext.ungetService(ref);
        });
    }

    @Test
    public void unregisterEndsTheServiceAndIsIdempotent() {
        forEachMode(mode -> {
            String key = "unregister-" + mode;
            try (PyContext ctx = create(mode)) {
                ctx.exec(GREETER_CLASS + "reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> ref = greeter(key);
                Greeter g = bundleContext.getService(ref);
                assertEquals(mode, "hello you", g.greet("you"));

                ctx.exec("reg.unregister()\nreg.unregister()");
                assertTrue(mode, references(Greeter.class, "it.key", key).isEmpty());
                assertThrows(mode + ": a proxy held after unregister", IllegalStateException.class, () -> g.greet("late"));
                bundleContext.ungetService(ref);

                // the context goes on, and can register again
                ctx.exec("reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> again = greeter(key);
                assertEquals(mode, "hello again", bundleContext.getService(again).greet("again"));
                bundleContext.ungetService(again);
            }
        });
    }

    @Test
    public void whenTheStrategyOfAContextLeavesTheContextsServicesLeaveWithIt() throws Exception {
        try {
            forEachMode(mode -> {
                String key = "strategy-" + mode;
                PyContext ctx = create(mode);
                long id = ctx.id();
                ctx.exec(GREETER_CLASS + "reg = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})");
                ServiceReference<Greeter> ref = greeter(key);
                Greeter g = bundleContext.getService(ref);
                assertEquals(mode, "hello strategy", g.greet("strategy"));

                org.osgi.framework.Bundle strategy = StrategyBundles.installed(bundleContext, StrategyBundles.symbolicNameForMode(mode));
                strategy.stop();
                assertTrue(mode + ": closed when its strategy left", ctx.isClosed());
                assertTrue(mode + ": its service is still registered", references(Greeter.class, "it.key", key).isEmpty());
                IllegalStateException closed = assertThrows(IllegalStateException.class, () -> g.greet("late"));
                assertTrue(mode + ": " + closed.getMessage(), closed.getMessage().contains("context " + id + " (" + mode + ") is closed"));
                bundleContext.ungetService(ref);

                strategy.start();
                awaitCondition(() -> mode + " back after starting its bundle; modes: " + factory.modes(), () -> factory.modes().contains(mode));
            });
        } finally {
            StrategyBundles.restoreAll(bundleContext);
            awaitCondition(() -> "every mode back; modes: " + factory.modes(),
                    () -> factory.modes().containsAll(List.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL, ContextFactory.PROCESS)));
        }
    }

    @Test
    public void aServiceTheApplicationPreloadRegistersBelongsToThePreloadOrToTheSubInterpretersContext() {
        forEachMode(mode -> {
            String key = "preload-" + mode;
            preload.setCode(GREETER_CLASS + "PRELOADED = pyhost.register(GREETER, G(), {'it.key': " + pyString(key) + "})\n");
            PyContext first = create(mode);
            PyContext second = create(mode);
            List<ServiceReference<Greeter>> refs = references(Greeter.class, "it.key", key);
            if (mode.equals(ContextFactory.WORKER)) {
                // the main interpreter ran the preload once for both contexts; the service is the preload's
                assertEquals(mode, 1, refs.size());
                assertEquals(mode, "the preload of the main interpreter", refs.get(0).getProperty("pyhost.host"));
                Greeter g = bundleContext.getService(refs.get(0));
                assertEquals(mode, "hello preload", g.greet("preload"));
                first.close();
                second.close();
                assertEquals(mode + ": the contexts' end does not end the preload's service", 1, references(Greeter.class, "it.key", key).size());
                assertEquals(mode, "hello still", g.greet("still"));
                bundleContext.ungetService(refs.get(0));
                // a new preload version replaces it (here: once a context is made with the new version)
                preload.clearCode();
                create(mode).close();
                awaitCondition(() -> mode + ": the old preload's service to leave", () -> references(Greeter.class, "it.key", key).isEmpty());
            } else {
                // each sub-interpreter ran the preload: one service per context, handed to it
                assertEquals(mode, 2, refs.size());
                for (ServiceReference<Greeter> ref : refs) {
                    assertEquals(mode, "hello each", bundleContext.getService(ref).greet("each"));
                    bundleContext.ungetService(ref);
                }
                first.close();
                List<ServiceReference<Greeter>> left = references(Greeter.class, "it.key", key);
                assertEquals(mode + ": closing a context ends the service its preload registered", 1, left.size());
                assertEquals(mode, "hello second", bundleContext.getService(left.get(0)).greet("second"));
                bundleContext.ungetService(left.get(0));
                second.close();
                assertTrue(mode, references(Greeter.class, "it.key", key).isEmpty());
            }
        });
    }

    // ------------------------------------------------------------------ f: bad input

    @Test
    public void badRegistrationsRaiseClearErrorsAndTheContextKeepsWorking() {
        forEachMode(mode -> {
            String key = "bad-" + mode;
            try (PyContext ctx = create(mode)) {
                ctx.exec(GREETER_CLASS + "o = G()\nK = {'it.key': " + pyString(key) + "}");
                assertRaises(mode, ctx, "TypeError", "pyhost.register('java.lang.String', o, K)", "class");
                assertRaises(mode, ctx, "TypeError", "pyhost.register('io.pyhost.api.ContextOptions', o, K)", "class");
                assertRaises(mode, ctx, "TypeError", "pyhost.register('com.nowhere.Missing', o, K)", "com.nowhere");
                assertRaises(mode, ctx, "TypeError", "pyhost.register('io.pyhost.itests.api.Missing', o, K)", "Missing");
                assertRaises(mode, ctx, "TypeError", "pyhost.register('java.lang.NoSuchInterface', o, K)", "NoSuchInterface");
                assertRaises(mode, ctx, "TypeError", "pyhost.register('Unqualified', o, K)", "Unqualified");
                assertRaises(mode, ctx, "TypeError", "pyhost.register(GREETER, o, ['it.key', 'x'])", "properties");
                assertRaises(mode, ctx, "TypeError", "pyhost.register(GREETER, o, {1: 'x'})", "properties");
                assertRaises(mode, ctx, "TypeError", "pyhost.register(GREETER, o, 'it.key=x')", "properties");
                assertRaises(mode, ctx, "TypeError", "pyhost.register(GREETER, None, K)", "None");
                assertRaises(mode, ctx, "TypeError", "pyhost.register([], o, K)");
                assertRaises(mode, ctx, "TypeError", "pyhost.register(None, o, K)");
                assertRaises(mode, ctx, "TypeError", "pyhost.register([GREETER, 42], o, K)");
                assertRaises(mode, ctx, "ValueError", "pyhost.register('', o, K)");
                // a list with one bad name registers nothing
                assertRaises(mode, ctx, "TypeError", "pyhost.register([GREETER, 'java.lang.String'], o, K)", "class");
                assertTrue(mode + ": a refused registration left a service behind", references(Greeter.class, "it.key", key).isEmpty());

                assertEquals(mode, 2L, ctx.eval("1 + 1"));
                ctx.exec("reg = pyhost.register(GREETER, o, K)");
                assertEquals(mode, "hello fine", bundleContext.getService(greeter(key)).greet("fine"));
            }
        });
    }
}
