package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.After;
import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyFunction;
import io.pyhost.core.interop.FunctionRegistry;

/**
 * Hostile review of the pyhost module (Python calls Java over one FFM upcall): each test states
 * the contract (no crash, bounded waits, a clear exception, the runtime keeps working). Attacks
 * that may crash the JVM run in a JVM of their own ({@link AdversaryProbe}).
 * See INTEROP-ADVERSARY-NOTES.md for results.
 */
public class InteropAdversaryTest extends EngineTest {



    private static PyContext open(ContextEngine engine, String mode) {
        return EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false));
    }

    // ------------------------------------------------------------------ in a JVM of their own

    private static void assertProbeHolds(String... args) throws Exception {
        AdversaryProbe.assertHolds("interop-adversary", args);
    }

    /** _raw() / _raw(1) / _raw(1, 'f') ...: PyTuple_GetItem out of range gives NULL, which must never reach Values.toJava. */
    @Test
    public void rawWithMissingOrWrongArgumentsNeverCrashes() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("rawBadArguments", mode);
        }
    }

    /** A Java exception whose getMessage()/toString() throw must not escape the upcall (that ends the JVM). */
    @Test
    public void anUndescribableJavaExceptionNeverCrashes() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("hostileJavaException", mode);
        }
    }

    /** A Java function that closes its own calling context: bounded, the runtime keeps working. */
    @Test
    public void aFunctionClosingItsOwnContextIsBounded() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("closeFromInsideAnUpcall", mode);
        }
    }

    /** atexit, __del__ and weakref callbacks call Java while a context's interpreter ends. */
    @Test
    public void upcallsWhileAnInterpreterEndsNeverCrash() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("upcallWhileEnding", mode);
        }
    }

    /** Python -> Java -> same context, until something gives, on 600 KiB and 1 MiB Java threads. */
    @Test
    public void aReentryTowerEndsInAnErrorNotACrash() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            assertProbeHolds("reentryTower", mode, "600");
            assertProbeHolds("reentryTower", mode, "1024");
        }
    }

    /**
     * The readiness check is Python's own: code that forges it (the wrapper's closure holds the
     * original _thread.start_new_thread; _ready is in call.__globals__) reaches the upcall on an
     * unguarded thread.
     */
    @Test
    public void anUnguardedThreadThatForgesReadinessNeverCrashes() throws Exception {
        assertProbeHolds("unguardedThreadUpcall", "worker", "closure");
    }

    @Test
    public void anUnguardedSmallStackThreadCallingRawNeverCrashes() throws Exception {
        assertProbeHolds("unguardedThreadUpcall", "worker", "smallstack");
    }

    @Test
    public void anUnguarded600KiBThreadThatForgesReadinessNeverCrashes() throws Exception {
        assertProbeHolds("unguardedThreadUpcall", "worker", "stack600k");
    }

    // ------------------------------------------------------------------ in this JVM

    /**
     * A Java function calls ANOTHER worker context with a timeout: the call runs inline on the
     * upcall's thread (MainInterpreter.call: reentered() first), and the timeout must still hold.
     */
    @Test
    public void anInlineCallIntoAnotherContextKeepsItsTimeout() throws Exception {
        AtomicReference<PyContext> other = new AtomicReference<>();
        AtomicReference<Object> inner = new AtomicReference<>();
        register("adv.otherWithTimeout", (args, kwargs) -> {
            long start = System.nanoTime();
            try {
                other.get().exec("while True: pass", Duration.ofMillis(300));
                inner.set("returned");
            } catch (RuntimeException e) {
                inner.set(e);
            }
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        });
        for (String mode : List.of("worker")) {
            try (PyContext outer = open(engine, mode); PyContext target = open(engine, "worker")) {
                other.set(target);
                AtomicReference<Object> outcome = new AtomicReference<>();
                Thread caller = Thread.ofPlatform().start(() -> {
                    try {
                        outcome.set(outer.eval("__import__('pyhost').call('adv.otherWithTimeout')"));
                    } catch (RuntimeException e) {
                        outcome.set(e);
                    }
                });
                caller.join(5000);
                boolean hung = caller.isAlive();
                if (hung) {
                    target.interrupt(); // set the thread free for the next tests
                    caller.join(10_000);
                }
                assertFalse(mode + ": a call with a 300 ms timeout made from a Java function still ran after 5 s", hung);
                assertTrue(mode + ": " + inner.get(), inner.get() instanceof PyException p && p.isTimeout());
            }
        }
    }

    /**
     * JavaError tokens are global and sequential: Python of context A that raises
     * JavaError(..., token of B's error) hands B's Java exception to A's caller (and B's caller loses it).
     */
    @Test
    public void aJavaErrorTokenCannotBeForgedAcrossContexts() {
        register("adv.secret", (args, kwargs) -> {
            throw new IllegalStateException("secret of B");
        });
        try (PyContext a = open(engine, "subinterp"); PyContext b = open(engine, "subinterp")) {
            b.exec("""
                    import pyhost
                    try:
                        pyhost.call('adv.secret')
                    except pyhost.JavaError as e:
                        kept = e
                    """);
            long token = (Long) b.eval("kept._pyhost_token");
            PyException forged = assertThrows(PyException.class,
                    () -> a.exec("import pyhost\nraise pyhost.JavaError('x', 'y', " + token + ")"));
            Throwable stolen = forged.getCause();
            assertFalse("context A's caller got context B's exception: " + stolen,
                    stolen != null && "secret of B".equals(stolen.getMessage()));
            PyException own = assertThrows(PyException.class, () -> b.exec("raise kept"));
            assertNotNull("context B's caller lost its own cause", own.getCause());
        }
    }

    /** Throwables of every kind and results the value table cannot convert: clear Python errors; the context keeps working. */
    @Test
    public void errorsAndUnconvertibleResultsAreClearPythonErrors() {
        register("adv.soe", (args, kwargs) -> {
            throw new StackOverflowError("deep");
        });
        register("adv.oom", (args, kwargs) -> {
            throw new OutOfMemoryError("full");
        });
        register("adv.recurse", new PyFunction() {
            @Override
            public Object apply(List<Object> args, java.util.Map<String, Object> kwargs) {
                return apply(args, kwargs); // a real StackOverflowError on the upcall's thread
            }
        });
        register("adv.cyclic", (args, kwargs) -> {
            List<Object> list = new ArrayList<>();
            list.add(list);
            return list;
        });
        register("adv.objects", (args, kwargs) -> List.of(1, new Object()));
        register("adv.null", (args, kwargs) -> null);
        register("adv.huge", (args, kwargs) -> java.util.Collections.nCopies(2_000_000, "x"));
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(engine, mode)) {
                context.exec("""
                        import pyhost
                        def outcome(name):
                            try:
                                r = pyhost.call(name)
                                return 'ok ' + str(len(r) if isinstance(r, list) else r)
                            except BaseException as e:
                                return type(e).__name__ + ': ' + str(e)[:80]
                        """);
                for (String name : List.of("adv.soe", "adv.oom", "adv.recurse", "adv.cyclic", "adv.objects", "adv.null", "adv.huge")) {
                    String got = (String) context.eval("outcome('" + name + "')", null, Duration.ofSeconds(30));
                    System.out.println(mode + " " + name + " -> " + got);
                    assertFalse(mode + " " + name + ": " + got, got.isEmpty());
                }
                assertEquals(2L, context.eval("1 + 1"));
            }
        }
    }

    /** Objects whose __str__ calls pyhost.call while the arguments of another pyhost.call are converted. */
    @Test
    public void hostileArgumentConversionThatCallsJavaAgain() {
        register("adv.echo", (args, kwargs) -> args.toString());
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(engine, mode)) {
                Object got = context.eval("""
                        (lambda pyhost: (lambda H: pyhost.call('adv.echo', H(3), k=H(2)))(
                            type('H', (), {'__init__': lambda s, n: setattr(s, 'n', n),
                                           '__str__': lambda s: 'h' if s.n == 0 else pyhost.call('adv.echo', type(s)(s.n - 1))})))(
                            __import__('pyhost'))
                        """.strip(), null, Duration.ofSeconds(10));
                assertNotNull(mode, got);
                assertEquals(2L, context.eval("1 + 1"));
            }
        }
    }

    /** 10,000 calls (half of them failing): no growth in Python objects and the JavaErrors table stays bounded. */
    @Test
    public void anUpcallStormLeavesNothingBehind() {
        register("adv.ok", (args, kwargs) -> List.of(args, kwargs));
        register("adv.bad", (args, kwargs) -> {
            throw new IllegalArgumentException("bad " + args);
        });
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(engine, mode)) {
                context.exec("""
                        import gc, pyhost
                        try:
                            import tracemalloc
                        except ImportError:  # not in sub-interpreters
                            tracemalloc = None
                        def storm(n):
                            for i in range(n):
                                pyhost.call('adv.ok', i, [i], k={'a': i})
                                try:
                                    pyhost.call('adv.bad', i)
                                except pyhost.JavaError:
                                    pass
                        storm(1000)
                        gc.collect()
                        before = len(gc.get_objects())
                        tracemalloc and tracemalloc.start()
                        m0 = tracemalloc.get_traced_memory()[0] if tracemalloc else 0
                        storm(5000)
                        gc.collect()
                        grew = len(gc.get_objects()) - before
                        mem = tracemalloc.get_traced_memory()[0] - m0 if tracemalloc else 0
                        tracemalloc and tracemalloc.stop()
                        """, Duration.ofSeconds(120));
                long grew = (Long) context.eval("grew");
                long mem = (Long) context.eval("mem");
                System.out.println(mode + ": objects grew by " + grew + ", traced memory by " + mem + " bytes");
                assertTrue(mode + ": objects grew by " + grew, grew < 200);
                assertTrue(mode + ": traced memory grew by " + mem, mem < 200_000);
            }
        }
    }

    /** One worker context deletes sys.modules['pyhost']: other worker contexts (same interpreter) must still import it. */
    @Test
    public void deletingThePyhostModuleInOneWorkerContextDoesNotBreakOthers() {
        register("adv.one", (args, kwargs) -> 1L);
        try (PyContext vandal = open(engine, "worker")) {
            vandal.exec("import sys\nsaved = sys.modules['pyhost']\ndel sys.modules['pyhost']");
            try (PyContext victim = open(engine, "worker")) {
                Object got;
                try {
                    got = victim.eval("__import__('pyhost').call('adv.one')");
                } catch (PyException e) {
                    got = e;
                }
                assertEquals("another worker context lost `import pyhost`: " + got, 1L, got);
            } finally {
                vandal.exec("sys.modules['pyhost'] = saved"); // the vandal kept it; nothing else could bring it back
            }
        }
    }

    /**
     * Python -> Java -> context B (another interpreter) -> Python -> Java -> back into context A
     * from B's thread: A's permit is held by the blocked outer call. Without timeouts this must
     * fail clearly, not hang for ever.
     */
    @Test
    public void aCrossContextPingPongDoesNotDeadlockForEver() throws Exception {
        AtomicReference<PyContext> a = new AtomicReference<>();
        AtomicReference<PyContext> b = new AtomicReference<>();
        register("adv.toB", (args, kwargs) -> b.get().eval("__import__('pyhost').call('adv.toA')"));
        register("adv.toA", (args, kwargs) -> a.get().eval("40 + 2"));
        try (PyContext ca = open(engine, "subinterp"); PyContext cb = open(engine, "subinterp")) {
            a.set(ca);
            b.set(cb);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().daemon().start(() -> {
                try {
                    outcome.set(ca.eval("__import__('pyhost').call('adv.toB')"));
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            caller.join(10_000);
            boolean hung = caller.isAlive();
            if (hung) {
                ca.interrupt();
                cb.interrupt();
            }
            assertFalse("A -> Java -> B -> Java -> A still waits after 10 s (deadlock)", hung);
            System.out.println("ping-pong: " + outcome.get());
        }
    }

    /**
     * A Python thread (not the call's own) calls Java, which calls back into the same context
     * while the call joins that thread. Calls on a context are serialized, and pyhost cannot tell
     * that the call waits for this thread: a known limit (README). With a timeout on the callback,
     * as the README asks for this pattern, it unwinds within that timeout.
     */
    @Test
    public void aPythonThreadCallingBackIntoItsContextUnwindsWithinTheCallbacksTimeout() throws Exception {
        AtomicReference<PyContext> self = new AtomicReference<>();
        register("adv.back", (args, kwargs) -> self.get().eval("1 + 1", null, java.time.Duration.ofSeconds(1)));
        try (PyContext context = open(engine, "worker")) {
            self.set(context);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().daemon().start(() -> {
                try {
                    context.exec("""
                            import threading, pyhost
                            out = []
                            def run():
                                try:
                                    out.append(pyhost.call('adv.back'))
                                except pyhost.JavaError as e:
                                    out.append(e.java_type)
                            t = threading.Thread(target=run)
                            t.start()
                            t.join()
                            """);
                    outcome.set(context.eval("out"));
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            caller.join(10_000);
            boolean hung = caller.isAlive();
            if (hung) {
                context.interrupt();
            }
            assertFalse("still waiting after 10 s", hung);
            assertEquals(List.of("io.pyhost.api.PyException"), outcome.get());
        }
    }

    /** pyhost.call from many threads at once, in every way Python starts threads. */
    @Test
    public void everyKindOfPythonThreadCallsJava() {
        register("adv.inc", (args, kwargs) -> (Long) args.get(0) + 1);
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(engine, mode)) {
                context.exec("""
                        import threading, _thread, asyncio, concurrent.futures, pyhost, time
                        res = []
                        def one(i):
                            try:
                                return pyhost.call('adv.inc', i)
                            except BaseException as e:
                                return repr(e)
                        ts = [threading.Thread(target=lambda i=i: res.append(one(i))) for i in range(16)]
                        [t.start() for t in ts]; [t.join() for t in ts]
                        with concurrent.futures.ThreadPoolExecutor(8) as ex:
                            res.extend(ex.map(one, range(32)))
                        async def main():
                            return await asyncio.gather(*(asyncio.to_thread(one, i) for i in range(8)))
                        res.extend(asyncio.run(main()))
                        lock = _thread.allocate_lock(); lock.acquire()
                        _thread.start_new_thread(lambda: (res.append(one(1)), lock.release()), ())
                        lock.acquire()
                        threading.stack_size(1 << 20)
                        t = threading.Thread(target=lambda: res.append(one(5))); t.start(); t.join()
                        threading.stack_size(0)
                        bad = [r for r in res if not isinstance(r, int)]
                        """, Duration.ofSeconds(60));
                assertEquals(mode, List.of(), context.eval("bad"));
                assertEquals(mode, 16L + 32 + 8 + 1 + 1, context.eval("len(res)"));
            }
        }
    }

    /** Virtual-thread callers (handed to pyhost-main lanes) and many of them at once. */
    @Test
    public void manyVirtualCallersAtOnce() throws Exception {
        register("adv.inc2", (args, kwargs) -> (Long) args.get(0) + 1);
        try (PyContext context = open(engine, "worker")) {
            context.exec("import pyhost");
            List<Thread> threads = new ArrayList<>();
            AtomicLong ok = new AtomicLong();
            CountDownLatch done = new CountDownLatch(200);
            for (int i = 0; i < 200; i++) {
                long n = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        if (Long.valueOf(n + 1).equals(context.eval("pyhost.call('adv.inc2', " + n + ")", null, Duration.ofSeconds(30)))) {
                            ok.incrementAndGet();
                        }
                    } finally {
                        done.countDown();
                    }
                }));
            }
            assertTrue(done.await(60, TimeUnit.SECONDS));
            assertEquals(200L, ok.get());
        }
    }

    /**
     * The function's result is converted with the GIL held, and converting a Java collection runs
     * its own code (iterator, get, size): a slow or blocking one freezes the whole main interpreter,
     * every worker context, out of any interrupt's reach.
     */
    @Test
    public void aSlowResultCollectionDoesNotFreezeOtherWorkerContexts() throws Exception {
        CountDownLatch converting = new CountDownLatch(1);
        register("adv.slowList", (args, kwargs) -> new java.util.AbstractList<Object>() {
            @Override
            public Object get(int index) {
                return 1L;
            }

            @Override
            public int size() {
                return 1;
            }

            @Override
            public java.util.Iterator<Object> iterator() {
                converting.countDown();
                try {
                    Thread.sleep(3000); // a lazy collection fetching its items
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.<Object>of(1L).iterator();
            }
        });
        try (PyContext slow = open(engine, "worker"); PyContext other = open(engine, "worker")) {
            Thread caller = Thread.ofPlatform().daemon().start(() -> slow.eval("__import__('pyhost').call('adv.slowList')"));
            assertTrue(converting.await(10, TimeUnit.SECONDS));
            long start = System.nanoTime();
            Object got;
            try {
                got = other.eval("1 + 1", null, Duration.ofMillis(1000));
            } catch (PyException e) {
                got = e;
            }
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            caller.join(10_000);
            assertEquals("another worker context, waited " + waited + " ms: " + got, 2L, got);
            assertTrue("another worker context waited " + waited + " ms while a Java result was converted", waited < 1000);
        }
    }
}
