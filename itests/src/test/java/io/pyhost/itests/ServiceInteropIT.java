package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.itests.api.Blocker;
import io.pyhost.itests.api.Calculator;
import io.pyhost.itests.api.Tally;

/**
 * Python uses OSGi services Java exports to it ({@code pyhost.service}, {@code pyhost.services}),
 * in every mode, in real Felix: methods by name with overloads chosen by fit, generic lists,
 * objects lent as {@code pyhost.JavaObject} and given back as themselves; only exported services
 * (property {@code pyhost.export=true} or core's {@code exportFilter}, set here through ConfigAdmin)
 * and never framework objects; waiting with {@code timeout}; services that leave, also while Python
 * is inside one of their methods; bad arguments.
 */
@RunWith(PaxExam.class)
public class ServiceInteropIT extends InteropTestSupport {

    private static final String EXPORT = "pyhost.export";

    /** A Calculator as Java code would write one; {@link #secret} is public but not in the interface. */
    static class Calc implements Calculator {
        private final String name;
        private final BundleContext context;
        volatile Tally last;

        Calc(String name, BundleContext context) {
            this.name = name;
            this.context = context;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long add(long a, long b) {
            return a + b;
        }

        @Override
        public double add(double a, double b) {
            return a + b;
        }

        @Override
        public String add(String a, String b) {
            return a + b;
        }

        @Override
        public long divide(long a, long b) {
            return a / b;
        }

        @Override
        public long sum(List<Integer> values) {
            long sum = 0;
            for (Integer v : values) { // a ClassCastException here would mean the list was not converted element-wise
                sum += v;
            }
            return sum;
        }

        @Override
        public String pick(int a, long b) {
            return "int,long";
        }

        @Override
        public String pick(long a, int b) {
            return "long,int";
        }

        @Override
        public Tally tally(String label) {
            Counter counter = new Counter(label);
            last = counter;
            return counter;
        }

        @Override
        public boolean isLastTally(Tally tally) {
            return tally == last;
        }

        @Override
        public Object owner() {
            return context;
        }

        @Override
        public Object origin() {
            return context.getBundle();
        }

        public String secret() {
            return "Python must not reach this: it is not a method of Calculator";
        }
    }

    /** Not public: Python reaches its methods through the public interface Tally. */
    private static final class Counter implements Tally {
        private final String label;
        private int total;

        Counter(String label) {
            this.label = label;
        }

        @Override
        public synchronized void add(int n) {
            total += n;
        }

        @Override
        public synchronized int total() {
            return total;
        }

        @Override
        public String label() {
            return label;
        }
    }

    private ServiceRegistration<Calculator> exported(String name, int ranking) {
        return register(Calculator.class, new Calc(name, bundleContext),
                props(EXPORT, true, "name", name, Constants.SERVICE_RANKING, ranking));
    }

    private static String importing() {
        return "import pyhost, time\nCALC = " + pyString(CALCULATOR) + "\nBLOCKER = " + pyString(BLOCKER) + "\n";
    }

    // ------------------------------------------------------------------ a: calling an exported service

    @Test
    public void anExportedServiceIsCalledByNameWithOverloadsListsAndJavaObjectsThatComeBackAsThemselves() {
        forEachMode(mode -> {
            Calc calc = new Calc("main", bundleContext);
            ServiceRegistration<Calculator> registration = register(Calculator.class, calc, props(EXPORT, true, "name", "main"));
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + "calc = pyhost.service(CALC)");
                assertEquals(mode, true, ctx.eval("isinstance(calc, pyhost.JavaObject)"));
                assertEquals(mode, "main", ctx.eval("calc.name()"));

                // overloads, by count and fit
                assertEquals(mode, 5L, ctx.eval("calc.add(2, 3)"));        // (long, long): exact
                assertEquals(mode, 4.5, ctx.eval("calc.add(1.5, 3)"));     // (double, double): an int fits a double
                assertEquals(mode, "ab", ctx.eval("calc.add('a', 'b')"));  // (String, String)
                assertEquals(mode, "int,long", ctx.eval("calc.pick(1, 2**40)")); // 2**40 fits no int: only one overload fits
                assertRaises(mode, ctx, "TypeError", "calc.pick(1, 1)", "ambiguous", "pick(int, long)", "pick(long, int)");
                assertRaises(mode, ctx, "TypeError", "calc.add([1], 2)", "add(long, long)", "add(double, double)");
                assertRaises(mode, ctx, "TypeError", "calc.add(2**70, 1)");  // a lossy narrowing never happens
                assertRaises(mode, ctx, "TypeError", "calc.add(1, 2, 3)");
                assertRaises(mode, ctx, "TypeError", "calc.add(a=1, b=2)", "positional");

                // List<Integer>, element by element
                assertEquals(mode, 10L, ctx.eval("calc.sum([1, 2, 3, 4])"));
                assertEquals(mode, 0L, ctx.eval("calc.sum([])"));
                assertRaises(mode, ctx, "TypeError", "calc.sum([1, 2**40])");
                assertRaises(mode, ctx, "TypeError", "calc.sum([1, 'two'])");

                // only the interface's methods
                assertEquals(mode, false, ctx.eval("hasattr(calc, 'secret')"));
                assertRaises(mode, ctx, "AttributeError", "calc.secret()", "secret");
                assertTrue(mode, ((List<?>) ctx.eval("dir(calc)")).containsAll(List.of("add", "name", "pick", "sum", "tally")));

                // a result the value table does not convert is a JavaObject; its methods work
                ctx.exec("t = calc.tally('apples')\nt.add(5)\nt.add(7)");
                assertEquals(mode, true, ctx.eval("isinstance(t, pyhost.JavaObject)"));
                assertEquals(mode, 12L, ctx.eval("t.total()"));
                assertEquals(mode, "apples", ctx.eval("t.label()"));
                assertTrue(mode, String.valueOf(ctx.eval("repr(t)")).contains(Counter.class.getName()));
                assertTrue(mode, ((List<?>) ctx.eval("dir(t)")).containsAll(List.of("add", "label", "total")));
                // ... and it is the very same object when it goes back to Java: as an argument, as a result
                assertEquals(mode, true, ctx.eval("calc.isLastTally(t)"));
                ctx.exec("t2 = calc.tally('plums')");
                assertEquals(mode, false, ctx.eval("calc.isLastTally(t)"));
                assertEquals(mode, true, ctx.eval("calc.isLastTally(t2)"));
                Object back = ctx.eval("t2");
                assertSame(mode, calc.last, back);
                ctx.exec("t2.add(3)");
                assertEquals(mode, 3, calc.last.total());
                Object locals = ctx.eval("x.total()", Map.of("x", calc.last)); // Java lends it as a local, too
                assertEquals(mode, 3L, locals);
            } finally {
                registration.unregister();
            }
        });
    }

    @Test
    public void aJavaExceptionOfAServiceMethodIsAJavaErrorAndReachesTheJavaCallerAsTheCause() {
        forEachMode(mode -> {
            ServiceRegistration<Calculator> registration = exported("divider", 0);
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + "calc = pyhost.service(CALC)");
                assertEquals(mode, 4L, ctx.eval("calc.divide(8, 2)"));
                ctx.exec("try:\n    calc.divide(1, 0)\nexcept pyhost.JavaError as e:\n    seen = [type(e).__name__, e.java_type, e.java_message]");
                assertEquals(mode, List.of("JavaError", "java.lang.ArithmeticException", "/ by zero"), ctx.eval("seen"));
                PyException uncaught = assertThrows(PyException.class, () -> ctx.eval("calc.divide(1, 0)"));
                assertEquals(mode, "JavaError", uncaught.pythonType());
                assertTrue(mode + ": " + uncaught.getCause(), uncaught.getCause() instanceof ArithmeticException);
                assertEquals(mode, 3L, ctx.eval("calc.divide(9, 3)"));
            } finally {
                registration.unregister();
            }
        });
    }

    /** Calculator and Blocker in one object, registered under both names. */
    static final class CalcAndBlocker extends Calc implements Blocker {
        CalcAndBlocker(BundleContext context) {
            super("both", context);
        }

        @Override
        public String block() {
            return "not blocking";
        }
    }

    @Test
    public void aProxyOffersTheMethodsOfTheInterfacePythonAskedFor() {
        forEachMode(mode -> {
            ServiceRegistration<?> registration = bundleContext.registerService(new String[] {CALCULATOR, BLOCKER},
                    new CalcAndBlocker(bundleContext), props(EXPORT, true));
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + "b = pyhost.service(BLOCKER)\nc = pyhost.service(CALC)");
                assertEquals(mode, "not blocking", ctx.eval("b.block()"));
                assertEquals(mode, false, ctx.eval("hasattr(b, 'add')"));
                assertEquals(mode, 3L, ctx.eval("c.add(1, 2)"));
                assertEquals(mode, false, ctx.eval("hasattr(c, 'block')"));
            } finally {
                registration.unregister();
            }
        });
    }

    /** Counts what the framework asks of a service factory: one get per using bundle, one unget when it no longer uses it. */
    static final class CountingFactory implements org.osgi.framework.ServiceFactory<Calculator> {
        final AtomicInteger gets = new AtomicInteger();
        final AtomicInteger ungets = new AtomicInteger();

        @Override
        public Calculator getService(Bundle bundle, ServiceRegistration<Calculator> registration) {
            gets.incrementAndGet();
            return new Calc("counted", bundle.getBundleContext());
        }

        @Override
        public void ungetService(Bundle bundle, ServiceRegistration<Calculator> registration, Calculator service) {
            ungets.incrementAndGet();
        }
    }

    @Test
    public void proxiesPythonDropsOrLosesWithItsContextGiveTheServiceBack() {
        forEachMode(mode -> {
            CountingFactory counting = new CountingFactory();
            ServiceRegistration<?> registration = bundleContext.registerService(CALCULATOR, counting, props(EXPORT, true));
            try {
                try (PyContext ctx = create(mode)) {
                    ctx.exec(importing() + "c1 = pyhost.service(CALC)\nc2 = pyhost.services(CALC)[0]\nassert c1.name() == c2.name() == 'counted'");
                    assertTrue(mode, registration.getReference().getUsingBundles() != null);
                    // the next call into Java takes them back, and gives the service back off the GIL, just after
                    ctx.exec("del c1, c2\nimport gc\ngc.collect()\npyhost.functions()");
                    awaitCondition(() -> mode + ": the dropped proxies to give the service back; using bundles "
                            + java.util.Arrays.toString(registration.getReference().getUsingBundles()),
                            () -> registration.getReference().getUsingBundles() == null);
                    assertEquals(mode, 1, counting.ungets.get());

                    ctx.exec("kept = pyhost.service(CALC)\nkept.name()"); // held when the context closes
                }
                try (PyContext next = create(mode)) {
                    next.eval("__import__('pyhost').functions()"); // worker mode: the main interpreter's next call frees what the last context dropped
                }
                awaitCondition(() -> mode + ": the service to be given back after its context closed; using bundles "
                        + java.util.Arrays.toString(registration.getReference().getUsingBundles()),
                        () -> registration.getReference().getUsingBundles() == null);
                assertEquals(mode, counting.gets.get(), counting.ungets.get());
            } finally {
                registration.unregister();
            }
        });
    }

    @Test
    public void pythonThreadsUseAServiceProxyAtOnce() {
        forEachMode(mode -> {
            ServiceRegistration<Calculator> registration = exported("threads", 0);
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + """
                        import threading
                        calc = pyhost.service(CALC)
                        results = {}
                        def work(n):
                            try:
                                results[n] = [calc.add(n, i) for i in range(200)] == [n + i for i in range(200)]
                            except BaseException as e:
                                results[n] = repr(e)
                        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
                        for t in threads:
                            t.start()
                        for t in threads:
                            t.join(30)
                        alive = [t.name for t in threads if t.is_alive()]
                        """);
                assertEquals(mode, List.of(), ctx.eval("alive"));
                assertEquals(mode, Map.of(0L, true, 1L, true, 2L, true, 3L, true), ctx.eval("results"));
            } finally {
                registration.unregister();
            }
        });
    }

    @Test
    public void servicesListsTheExportedOnesBestRankedFirstAndServiceTakesTheBest() {
        forEachMode(mode -> {
            List<ServiceRegistration<Calculator>> registered = List.of(
                    exported("r5", 5), exported("r20", 20), exported("r10", 10), exported("r10b", 10),
                    register(Calculator.class, new Calc("hidden", bundleContext), props("name", "hidden", Constants.SERVICE_RANKING, 100)));
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing());
                // by ranking, then the older (lower service id) first; the unexported one is not there
                assertEquals(mode, List.of("r20", "r10", "r10b", "r5"), ctx.eval("[s.name() for s in pyhost.services(CALC)]"));
                assertEquals(mode, "r20", ctx.eval("pyhost.service(CALC).name()"));
                assertEquals(mode, List.of("r10", "r10b"), ctx.eval("[s.name() for s in pyhost.services(CALC, '(name=r10*)')]"));
                assertEquals(mode, "r5", ctx.eval("pyhost.service(CALC, '(name=r5)').name()"));
                assertEquals(mode, List.of(), ctx.eval("pyhost.services('io.pyhost.itests.api.NoSuchType')"));
                assertEquals(mode, true, ctx.eval("all(isinstance(s, pyhost.JavaObject) for s in pyhost.services(CALC))"));
            } finally {
                registered.forEach(InteropTestSupport::unregisterQuietly);
            }
        });
    }

    // ------------------------------------------------------------------ b: only exported services, never the framework

    @Test
    public void aServiceWithoutTheExportPropertyIsRefusedUntilCoreExportFilterMatchesIt() throws Exception {
        List<ServiceRegistration<Calculator>> registered = List.of(
                register(Calculator.class, new Calc("hidden", bundleContext), props("name", "hidden", "export.me", "yes")),
                register(Calculator.class, new Calc("no", bundleContext), props("name", "no", "export.me", "no", EXPORT, false)),
                register(Calculator.class, new Calc("string-true", bundleContext), props("name", "string-true", EXPORT, "true")),
                register(Calculator.class, new Calc("string-yes", bundleContext), props("name", "string-yes", EXPORT, "yes")));
        try {
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    ctx.exec(importing());
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC, '(name=hidden)')", "not exported");
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.services(CALC, '(name=hidden)')", "not exported");
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC, '(name=no)')", "not exported");
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC, '(name=string-yes)')", "not exported");
                    assertEquals(mode, "string-true", ctx.eval("pyhost.service(CALC, '(name=string-true)').name()"));
                    assertEquals(mode, List.of("string-true"), ctx.eval("[s.name() for s in pyhost.services(CALC)]"));
                    assertEquals(mode, true, ctx.eval("issubclass(pyhost.ServiceUnavailable, pyhost.JavaError)"));
                    PyException uncaught = assertThrows(PyException.class, () -> ctx.eval("pyhost.service(CALC, '(name=hidden)')"));
                    assertEquals(mode, "ServiceUnavailable", uncaught.pythonType());
                }
            });

            setExportFilter("(export.me=yes)");
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    ctx.exec(importing());
                    assertEquals(mode, "hidden", ctx.eval("pyhost.service(CALC, '(name=hidden)').name()"));
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC, '(name=no)')", "not exported");
                    assertEquals(mode, List.of("hidden", "string-true"), ctx.eval("sorted(s.name() for s in pyhost.services(CALC))"));
                }
            });

            setExportFilter("(((not a filter"); // core ignores it (and logs a warning): only pyhost.export=true
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    ctx.exec(importing());
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC, '(name=hidden)')", "not exported");
                    assertEquals(mode, "string-true", ctx.eval("pyhost.service(CALC).name()"));
                }
            });

            restoreCoreConfig(); // no configuration again: the default, no filter
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    ctx.exec(importing());
                    assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC, '(name=hidden)')", "not exported");
                    assertEquals(mode, List.of("string-true"), ctx.eval("[s.name() for s in pyhost.services(CALC)]"));
                }
            });
        } finally {
            registered.forEach(InteropTestSupport::unregisterQuietly);
        }
    }

    @Test
    public void aBundleContextOrBundleAServiceReturnsNeverReachesPython() {
        forEachMode(mode -> {
            ServiceRegistration<Calculator> registration = exported("framework", 0);
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + "calc = pyhost.service(CALC)");
                assertRaises(mode, ctx, "TypeError", "calc.owner()", "pyhost does not give Python a Java", "BundleContext");
                assertRaises(mode, ctx, "TypeError", "calc.origin()", "pyhost does not give Python a Java", "Bundle");
                // nor can Java hand one over
                IllegalArgumentException fromJava = assertThrows(IllegalArgumentException.class,
                        () -> ctx.eval("x", Map.of("x", bundleContext)));
                assertTrue(mode + ": " + fromJava.getMessage(), fromJava.getMessage().contains("pyhost does not give Python a Java"));
                // the context and the proxy keep working
                assertEquals(mode, "framework", ctx.eval("calc.name()"));
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
            } finally {
                registration.unregister();
            }
        });
    }

    // ------------------------------------------------------------------ c: waiting for a service

    @Test
    public void aTimeoutWaitsForAServiceRegisteredLaterWithoutOneAMissingServiceFailsAtOnce() {
        forEachMode(mode -> {
            AtomicReference<ServiceRegistration<Calculator>> late = new AtomicReference<>();
            Thread registrar = null;
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing());
                String lookup = "t0 = time.monotonic()\n" + catching("found = pyhost.service(CALC, '(name=late)'%s).name()")
                        + "elapsed = time.monotonic() - t0\n";

                ctx.exec(String.format(lookup, ""));
                List<?> caught = (List<?>) ctx.eval("caught");
                assertEquals(mode + ": " + caught, "ServiceUnavailable", caught.get(0));
                assertTrue(mode + ": " + caught, String.valueOf(caught.get(1)).contains("no service"));
                assertTrue(mode + ": without a timeout it fails at once, took " + ctx.eval("elapsed") + " s",
                        (Double) ctx.eval("elapsed") < 0.5);

                registrar = Thread.ofPlatform().name("it-late-registrar").start(() -> {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    }
                    late.set(bundleContext.registerService(Calculator.class, new Calc("late", bundleContext), props(EXPORT, true, "name", "late")));
                });
                ctx.exec(String.format(lookup, ", timeout=2"));
                assertEquals(mode + ": " + ctx.eval("caught"), null, ctx.eval("caught"));
                assertEquals(mode, "late", ctx.eval("found"));
                double waited = (Double) ctx.eval("elapsed");
                assertTrue(mode + ": waited " + waited + " s for a service registered after 300 ms", waited >= 0.25 && waited < 1.9);

                // a timeout that runs out
                ctx.exec("t0 = time.monotonic()\n" + catching("pyhost.service(CALC, '(name=never)', timeout=0.3)")
                        + "elapsed = time.monotonic() - t0\n");
                caught = (List<?>) ctx.eval("caught");
                assertEquals(mode + ": " + caught, "ServiceUnavailable", caught.get(0));
                assertTrue(mode + ": " + caught, String.valueOf(caught.get(1)).contains("no service"));
                double ranOut = (Double) ctx.eval("elapsed");
                assertTrue(mode + ": timeout=0.3 took " + ranOut + " s", ranOut >= 0.28 && ranOut < 1.5);
            } finally {
                if (registrar != null) {
                    registrar.interrupt();
                    registrar.join(5_000);
                }
                if (late.get() != null) {
                    unregisterQuietly(late.get());
                }
            }
        });
    }

    @Test
    public void waitingForAServiceEndsAtTheContextsCallTimeout() {
        forEachMode(mode -> {
            try (PyContext ctx = create(io.pyhost.api.ContextOptions.mode(mode).withCallTimeout(java.time.Duration.ofMillis(500)))) {
                ctx.exec(importing());
                long started = System.nanoTime();
                PyException timedOut = assertThrows(PyException.class, () -> ctx.eval("pyhost.service(CALC, '(name=never)', timeout=20)"));
                double seconds = (System.nanoTime() - started) / 1e9;
                assertEquals(mode + ": " + timedOut, "TimeoutError", timedOut.pythonType());
                assertTrue(mode + ": the call ran " + seconds + " s past a 0.5 s call timeout", seconds < 5);
                started = System.nanoTime();
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
                seconds = (System.nanoTime() - started) / 1e9;
                assertTrue(mode + ": the next call waited " + seconds + " s: the lookup went on after the timeout", seconds < 3);
            }
        });
    }

    // ------------------------------------------------------------------ d: services that leave

    @Test
    public void aServiceUnregisteredAfterLookupIsServiceUnavailableAtTheNextCall() {
        forEachMode(mode -> {
            ServiceRegistration<Calculator> first = exported("first", 0);
            ServiceRegistration<Calculator> second = null;
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + "calc = pyhost.service(CALC)");
                assertEquals(mode, "first", ctx.eval("calc.name()"));
                first.unregister();
                assertRaises(mode, ctx, "ServiceUnavailable", "calc.name()", "unregistered");
                assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(CALC)", "no service");
                PyException uncaught = assertThrows(PyException.class, () -> ctx.eval("calc.add(1, 2)"));
                assertEquals(mode, "ServiceUnavailable", uncaught.pythonType());

                second = exported("second", 0);
                assertEquals(mode, "second", ctx.eval("pyhost.service(CALC).name()"));
                assertRaises(mode, ctx, "ServiceUnavailable", "calc.name()", "unregistered"); // the old proxy stays gone
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
            } finally {
                unregisterQuietly(first);
                if (second != null) {
                    unregisterQuietly(second);
                }
            }
        });
    }

    @Test
    public void stoppingTheBundleOfAServiceWhilePythonIsInsideItNeitherCrashesNorHangs() {
        forEachMode(mode -> {
            Bundle provider = startProvider();
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger calls = new AtomicInteger();
            Blocker blocker = () -> {
                calls.incrementAndGet();
                entered.countDown();
                try {
                    return release.await(30, TimeUnit.SECONDS) ? "released" : "never released";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            };
            register(provider.getBundleContext(), Blocker.class, blocker, props(EXPORT, true));
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing() + "b = pyhost.service(BLOCKER)");
                Future<Object> inside = threads.submit(() -> ctx.eval("b.block()"));
                assertTrue(mode + ": Python did not enter the service method", entered.await(10, TimeUnit.SECONDS));

                Future<?> stopping = threads.submit(() -> {
                    provider.stop();
                    return null;
                });
                stopping.get(10, TimeUnit.SECONDS); // the stop does not wait for Python's call to end
                assertEquals(mode, Bundle.RESOLVED, provider.getState());
                assertFalse(mode + ": the call ended before it was released", inside.isDone());

                release.countDown();
                assertEquals(mode, "released", inside.get(10, TimeUnit.SECONDS)); // the call under way ends as it would have
                assertRaises(mode, ctx, "ServiceUnavailable", "b.block()");
                assertEquals(mode + ": the departed service was called again", 1, calls.get());
                assertRaises(mode, ctx, "ServiceUnavailable", "pyhost.service(BLOCKER)", "no service");
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
            } finally {
                release.countDown();
                threads.shutdownNow();
                threads.awaitTermination(10, TimeUnit.SECONDS);
                if (provider.getState() == Bundle.ACTIVE) {
                    provider.stop(); // a mode that failed early must not leave its Blocker to the next mode's lookup
                }
            }
        });
    }

    // ------------------------------------------------------------------ f: bad input

    @Test
    public void badLookupsRaiseClearErrorsAndTheContextKeepsWorking() {
        forEachMode(mode -> {
            ServiceRegistration<Calculator> registration = exported("after-bad-input", 0);
            try (PyContext ctx = create(mode)) {
                ctx.exec(importing());
                assertRaises(mode, ctx, "TypeError", "pyhost.service(None)", "str");
                assertRaises(mode, ctx, "TypeError", "pyhost.service(42)", "str");
                assertRaises(mode, ctx, "ValueError", "pyhost.service('')");
                assertRaises(mode, ctx, "ValueError", "pyhost.service('a\\0b')");
                assertRaises(mode, ctx, "TypeError", "pyhost.services(None)");
                assertRaises(mode, ctx, "ValueError", "pyhost.service(CALC, '(((')", "LDAP");
                assertRaises(mode, ctx, "ValueError", "pyhost.services(CALC, 'not a filter')", "LDAP");
                assertRaises(mode, ctx, "TypeError", "pyhost.service(CALC, 42)", "filter");
                assertRaises(mode, ctx, "TypeError", "pyhost.service(CALC, timeout='soon')", "timeout");
                assertRaises(mode, ctx, "TypeError", "pyhost.service(CALC, timeout=True)", "timeout");
                assertRaises(mode, ctx, "ValueError", "pyhost.service(CALC, timeout=-1)", "timeout");
                assertRaises(mode, ctx, "ValueError", "pyhost.service(CALC, timeout=float('nan'))", "timeout");
                assertRaises(mode, ctx, "TypeError", "pyhost.JavaObject()");
                assertEquals(mode, "after-bad-input", ctx.eval("pyhost.service(CALC).name()"));
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
            } finally {
                registration.unregister();
            }
        });
    }
}
