package io.pyhost.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;

/**
 * Attacks that may take the JVM down, run by {@link AdversaryTest} in a JVM of their own: one
 * probe per run, named by the first argument. A probe that holds prints {@value #OK} and exits 0;
 * one that crashes the JVM shows as a signal exit status and a missing {@value #OK}.
 */
public final class AdversaryProbe {
    static final String OK = "PROBE-OK";

    private AdversaryProbe() {
    }

    // ---- the test side: run a probe in a JVM of its own

    /** How a probe's JVM ended. */
    record Run(int status, String output) {
    }

    /** Runs the probe named by {@code args[0]} in a new JVM (120 s at most; killed after that). */
    static Run run(String hsErrPrefix, String... args) throws Exception {
        return run(AdversaryProbe.class, hsErrPrefix, args);
    }

    /** Runs {@code probe}'s {@code main(args)} in a new JVM (120 s at most; killed after that). */
    static Run run(Class<?> probe, String hsErrPrefix, String... args) throws Exception {
        String javaCommand = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaCommand, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:ErrorFile=target/" + hsErrPrefix + "-hs_err_%p.log",
                "-cp", System.getProperty("java.class.path"), probe.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        java.util.concurrent.atomic.AtomicReference<String> output = new java.util.concurrent.atomic.AtomicReference<>("");
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try {
                output.set(new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                output.set("unreadable: " + e);
            }
        });
        if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            reader.join(5000);
            return new Run(-1, "killed after 120 s\n" + output.get());
        }
        reader.join(10_000);
        return new Run(process.exitValue(), output.get());
    }

    /** Fails (the test, not its JVM) unless the probe's JVM printed {@value #OK} and exited 0. */
    static void assertHolds(String hsErrPrefix, String... args) throws Exception {
        assertHolds(AdversaryProbe.class, OK, hsErrPrefix, args);
    }

    /** Fails (the test, not its JVM) unless {@code probe}'s JVM printed {@code ok} and exited 0. */
    static void assertHolds(Class<?> probe, String ok, String hsErrPrefix, String... args) throws Exception {
        Run run = run(probe, hsErrPrefix, args);
        String tail = run.output().length() > 6000 ? run.output().substring(run.output().length() - 6000) : run.output();
        org.junit.Assert.assertTrue(String.join(" ", args) + ": exit " + run.status() + "\n" + tail,
                run.status() == 0 && run.output().contains(ok));
    }

    public static void main(String[] args) throws Exception {
        ContextEngine engine = new ContextEngine(EmbeddedPython.runtime(), new PreloadRegistry(), null);
        try {
            switch (args[0]) {
                case "codeCacheEviction" -> codeCacheEviction(engine);
                case "destroyAnotherInterpreter" -> destroyAnotherInterpreter(engine, args[1]);
                case "execInAnotherInterpreter" -> execInAnotherInterpreter(engine, args[1]);
                case "closeWith" -> closeWith(engine, args[1], args[2], Integer.parseInt(args[3]));
                case "currentFramesAcrossInterpreters" -> currentFramesAcrossInterpreters(engine);
                case "upcallAtTheDeepestPoint" -> upcallAtTheDeepestPoint(engine, args[1]);
                case "outputAtTheDeepestPoint" -> outputAtTheDeepestPoint(engine, args[1]);
                case "rawBadArguments" -> rawBadArguments(engine, args[1]);
                case "hostileJavaException" -> hostileJavaException(engine, args[1]);
                case "unguardedThreadUpcall" -> unguardedThreadUpcall(engine, args[1], args[2]);
                case "closeFromInsideAnUpcall" -> closeFromInsideAnUpcall(engine, args[1]);
                case "upcallWhileEnding" -> upcallWhileEnding(engine, args[1]);
                case "reentryTower" -> reentryTower(engine, args[1], Long.parseLong(args[2]));
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println(OK);
            System.out.flush();
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
        Runtime.getRuntime().halt(0); // not engine.closeAll: a probe may have left the runtime in any state
    }

    /**
     * pyhost.call at every level of a C recursion down to CPython's limit, and from __del__ while
     * a 10^5-deep structure is freed, on the call's thread and in a Python thread: the upcall must
     * always find the stack the JVM needs (StackGuard), never abort the JVM.
     */
    private static void upcallAtTheDeepestPoint(ContextEngine engine, String mode) throws Exception {
        io.pyhost.core.interop.FunctionRegistry.shared().add(
                new io.pyhost.core.interop.FunctionRegistry.Entry("probe.ping", (a, k) -> 1L, 0, 1));
        PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false));
        context.exec("import pyhost\nhits = []\n" + deepest("hits.append(pyhost.call('probe.ping'))",
                "hits.append(pyhost.call('probe.ping'))"));
        long hits = (Long) context.eval("len(hits)");
        if (hits < 1000) {
            throw new AssertionError(mode + ": only " + hits + " upcalls ran");
        }
    }

    /**
     * Python that runs {@code atEveryLevel} at each level of a recursion down to CPython's limit
     * (through {@code __getattr__}) and {@code whenFreed} in {@code __del__} while a 10^5-deep
     * structure is freed, on the call's thread and then in a Python thread.
     */
    private static String deepest(String atEveryLevel, String whenFreed) {
        return """
                import sys, threading
                sys.setrecursionlimit(10**6)
                class Deep:
                    def __getattr__(self, name):
                        try:
                            %s
                        except RecursionError:
                            pass
                        return getattr(self, name)
                class Freed:
                    def __del__(self):
                        try:
                            %s
                        except RecursionError:
                            pass
                def run():
                    try:
                        Deep().x
                    except RecursionError:
                        pass
                    nested = []
                    for _ in range(10**5):
                        nested = [nested, Freed()]
                    del nested
                run()
                t = threading.Thread(target=run)
                t.start()
                t.join()
                """.formatted(atEveryLevel, whenFreed);
    }

    /**
     * print() and logging at every level of a C recursion down to CPython's limit and from __del__
     * during a deep deallocation, on the call's thread and in a Python thread: each line and record
     * goes to Java through an upcall, which must find its stack; the lines reach the sink.
     */
    private static void outputAtTheDeepestPoint(ContextEngine engine, String mode) throws Exception {
        java.util.concurrent.atomic.AtomicLong lines = new java.util.concurrent.atomic.AtomicLong();
        PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false)
                .withOutput(line -> lines.incrementAndGet()));
        context.exec("import logging\nlog = logging.getLogger('probe')\n" + deepest("print('deep'); log.warning('deep')",
                "print('freed')"));
        if (lines.get() < 1000) {
            throw new AssertionError(mode + ": only " + lines.get() + " lines reached the sink");
        }
    }

    /**
     * sys._current_frames() walks every interpreter's threads without their GILs: with an own-GIL
     * context running Python in parallel it corrupts the heap (CPython aborts). Every pyhost
     * interpreter must refuse it, sys._current_exceptions() too.
     */
    private static void currentFramesAcrossInterpreters(ContextEngine engine) throws Exception {
        PyContext busy = EmbeddedPython.create(engine, ContextOptions.mode("owngil").withSandbox(false));
        Thread running = Thread.ofPlatform().start(() -> busy.exec("x = 0\nwhile x < 3 * 10**7:\n    x += 1"));
        Thread.sleep(200);
        for (String mode : List.of("worker", "subinterp", "owngil")) {
            PyContext probe = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false));
            for (int i = 0; i < 20; i++) {
                for (String call : List.of("_current_frames", "_current_exceptions")) {
                    try {
                        probe.eval("__import__('sys')." + call + "()");
                        throw new AssertionError(mode + ": sys." + call + "() was allowed");
                    } catch (io.pyhost.api.PyException e) {
                        if (!e.pythonType().equals("RuntimeError")) {
                            throw new AssertionError(mode + ": " + e);
                        }
                    }
                }
            }
        }
        running.join(60_000);
    }

    /**
     * Worker mode, two callers. A cached code object gets a weakref whose callback sleeps (drops
     * the GIL) while the code cache evicts and releases it; another caller uses the cache
     * meanwhile. The cache must never keep or release a freed code object.
     */
    private static void codeCacheEviction(ContextEngine engine) throws Exception {
        PyContext a = EmbeddedPython.create(engine, "worker");
        PyContext b = EmbeddedPython.create(engine, "worker");
        a.exec("import weakref, sys, time\nrefs = []\nfired = []");
        String tracked = "refs.append(weakref.ref(sys._getframe(0).f_code, lambda r: (fired.append(1), time.sleep(0.3)))) or 7";
        List<String> failures = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            if (!Long.valueOf(7).equals(a.eval(tracked))) {
                throw new AssertionError("round " + round + ": the tracked code gave a wrong value");
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread other = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    b.eval("1 + 1");
                    b.eval("2 + 2");
                }
            });
            try {
                for (int i = 0; i < 700; i++) {
                    try {
                        a.eval((round * 100_000 + i) + " + 0");
                    } catch (RuntimeException e) {
                        failures.add("round " + round + " eval " + i + ": " + e);
                    }
                }
            } finally {
                stop.set(true);
                other.join(30_000);
            }
            // the tracked source again: it must be compiled afresh, not served from freed memory
            for (int i = 0; i < 20; i++) {
                a.eval("[object() for _ in range(1000)]");
                if (!Long.valueOf(7).equals(a.eval(tracked))) {
                    throw new AssertionError("round " + round + ": the tracked code gave a wrong value after eviction");
                }
            }
        }
        Object fired = a.eval("len(fired)");
        System.out.println("weakref callbacks fired: " + fired);
        if (!failures.isEmpty()) {
            throw new AssertionError("calls failed while the cache evicted: " + failures);
        }
    }

    /** Python of one context destroys another context's sub-interpreter; the victim must keep working (or fail cleanly). */
    private static void destroyAnotherInterpreter(ContextEngine engine, String attackerMode) throws Exception {
        PyContext victim = EmbeddedPython.create(engine, "owngil");
        PyContext attacker = EmbeddedPython.create(engine, ContextOptions.mode(attackerMode).withSandbox(false));
        System.out.println("victim says " + victim.eval("1 + 1"));
        attacker.exec("""
                import _interpreters
                me = _interpreters.get_current()[0]
                outcome = []
                for i, *_ in _interpreters.list_all():
                    if i not in (0, me):
                        try:
                            _interpreters.destroy(i)
                            outcome.append((i, 'destroyed'))
                        except BaseException as e:
                            outcome.append((i, repr(e)))
                """, Duration.ofSeconds(20));
        Object outcome = attacker.eval("outcome");
        System.out.println("destroy: " + outcome);
        // the victim must still answer (or the destroy must have been refused)
        Object answer = victim.eval("[object() for _ in range(10000)] and 42", null, Duration.ofSeconds(3));
        System.out.println("victim answers " + answer);
        victim.close();
        attacker.close();
    }

    /** Python of one context runs code inside another context's (sandboxed) sub-interpreter while it is closed. */
    private static void execInAnotherInterpreter(ContextEngine engine, String attackerMode) throws Exception {
        PyContext victim = EmbeddedPython.create(engine, "owngil");
        victim.eval("1 + 1");
        PyContext attacker = EmbeddedPython.create(engine, ContextOptions.mode(attackerMode).withSandbox(false));
        attacker.exec("""
                import _interpreters, threading
                me = _interpreters.get_current()[0]
                targets = [i for i, *_ in _interpreters.list_all() if i not in (0, me)]
                results = []
                def run(i):
                    try:
                        _interpreters.exec(i, 'import time\\nend = time.monotonic() + 3\\nwhile time.monotonic() < end: pass')
                        results.append((i, 'ran'))
                    except BaseException as e:
                        results.append((i, repr(e)))
                workers = [threading.Thread(target=run, args=(i,)) for i in targets]
                for w in workers: w.start()
                """, Duration.ofSeconds(20));
        Thread.sleep(500);
        victim.close(); // while foreign code runs inside it
        attacker.exec("for w in workers: w.join()", Duration.ofSeconds(20));
        System.out.println("exec: " + attacker.eval("results"));
        attacker.close();
    }

    /** Runs {@code code} in a fresh context of {@code mode} (sandbox off), closes it; {@code rounds} times. */
    private static void closeWith(ContextEngine engine, String mode, String code, int rounds) throws Exception {
        for (int i = 0; i < rounds; i++) {
            PyContext context = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false));
            context.exec(code, Duration.ofSeconds(20));
            Thread.sleep(50);
            long start = System.nanoTime();
            context.close();
            System.out.println("round " + i + ": close took " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }
        Thread.sleep(1000); // let leftover threads run into whatever is left
        PyContext after = EmbeddedPython.create(engine, mode);
        for (int i = 0; i < 20; i++) {
            after.eval("[object() for _ in range(10000)]");
        }
        after.close();
        Thread.sleep(500);
    }

    // ---- interop (pyhost module) attacks, see InteropAdversaryTest ----

    private static PyContext interopContext(ContextEngine engine, String mode) {
        return EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false));
    }

    /** _raw, the upcall builtin, reached from Python and called with missing or wrong arguments: a TypeError each, never a crash. */
    private static void rawBadArguments(ContextEngine engine, String mode) throws Exception {
        io.pyhost.core.interop.FunctionRegistry.shared().add(
                new io.pyhost.core.interop.FunctionRegistry.Entry("probe.echo", (a, k) -> List.of(a, k == null ? "null" : k), 0, 2));
        PyContext context = interopContext(engine, mode);
        context.exec("""
                import pyhost
                raw = pyhost.call.__globals__['_raw']
                outcomes = []
                for args in [(), (1,), ('x',), (99,), (2**70,), (1, 'probe.echo'), (1, 'probe.echo', ()),
                             (1, None, None, None), (1, 'probe.echo', None, None), (1, 'probe.echo', [1], {}),
                             (1, 'probe.echo', 5, {}), (1, 5, (), {}), (1, 'probe.echo', (), {1: 2}),
                             (1, 'probe.echo', (object(),), {}), (0, 1, 2, 3, 4, 5)]:
                    try:
                        outcomes.append(('ok', repr(raw(*args))[:60]))
                    except BaseException as e:
                        outcomes.append((type(e).__name__, str(e)[:60]))
                """);
        System.out.println(context.eval("outcomes"));
        if (!Long.valueOf(2).equals(context.eval("1 + 1"))) {
            throw new AssertionError("the context stopped working");
        }
    }

    /** A Java function whose exception cannot be described (getMessage and toString throw): Python gets an error, the JVM lives. */
    private static void hostileJavaException(ContextEngine engine, String mode) throws Exception {
        io.pyhost.core.interop.FunctionRegistry.shared().add(new io.pyhost.core.interop.FunctionRegistry.Entry("probe.hostile", (a, k) -> {
            throw new RuntimeException() {
                private static final long serialVersionUID = 1L;

                @Override
                public String getMessage() {
                    throw new IllegalStateException("getMessage refuses");
                }

                @Override
                public String toString() {
                    throw new IllegalStateException("toString refuses");
                }
            };
        }, 0, 3));
        // the same exception thrown while the function's result is converted (upcall code, not the function)
        io.pyhost.core.interop.FunctionRegistry.shared().add(new io.pyhost.core.interop.FunctionRegistry.Entry("probe.hostileResult",
                (a, k) -> new java.util.AbstractList<Object>() {
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
                        throw new RuntimeException() {
                            private static final long serialVersionUID = 1L;

                            @Override
                            public String getMessage() {
                                throw new IllegalStateException("getMessage refuses");
                            }

                            @Override
                            public String toString() {
                                throw new IllegalStateException("toString refuses");
                            }
                        };
                    }
                }, 0, 8));
        PyContext context = interopContext(engine, mode);
        context.exec("""
                import pyhost
                outcome = []
                for name in ('probe.hostile', 'probe.hostileResult'):
                    try:
                        pyhost.call(name)
                        outcome.append('returned')
                    except BaseException as e:
                        outcome.append(type(e).__name__ + ': ' + str(e)[:80])
                """);
        System.out.println(context.eval("outcome"));
    }

    /**
     * Python code gets around the readiness check: a thread the pyhost wrappers did not guard
     * (started through the original _thread function kept in the wrapper's closure, or with a small
     * stack) calls _raw, after deep recursion or at once. The JVM must survive.
     */
    private static void unguardedThreadUpcall(ContextEngine engine, String mode, String how) throws Exception {
        io.pyhost.core.interop.FunctionRegistry.shared().add(
                new io.pyhost.core.interop.FunctionRegistry.Entry("probe.ping", (a, k) -> 1L, 0, 4));
        PyContext context = interopContext(engine, mode);
        context.exec("""
                import sys, threading, _thread, pyhost
                sys.setrecursionlimit(10**6)
                g = pyhost.call.__globals__
                hits = []
                done = threading.Event()
                class Deep:
                    def __getattr__(self, name):
                        try:
                            hits.append(g['_raw'](1, 'probe.ping', (), {}))
                        except RecursionError:
                            pass
                        return getattr(self, name)
                def deep():
                    try:
                        g['_ready'].ok = True  # forge readiness: the check is Python's own
                        try:
                            Deep().x
                        except RecursionError:
                            pass
                    finally:
                        done.set()
                def at_once():
                    try:
                        hits.append(g['_raw'](0))
                    finally:
                        done.set()
                how = %s
                if how == 'closure':
                    f = _thread.start_new_thread
                    original = dict(zip(f.__code__.co_freevars, (c.cell_contents for c in f.__closure__)))['start_new']
                    original(deep, ())
                elif how == 'smallstack':
                    threading.stack_size(64 * 1024)
                    threading.Thread(target=at_once).start()
                    threading.stack_size(0)
                elif how == 'stack600k':
                    threading.stack_size(600 * 1024)
                    threading.Thread(target=deep).start()
                    threading.stack_size(0)
                done.wait(60)
                """.formatted("'" + how + "'"));
        System.out.println(mode + " " + how + ": " + context.eval("len(hits)") + " upcalls ran");
    }

    /** A Java function closes the very context whose Python called it: bounded, no crash, the runtime still works. */
    private static void closeFromInsideAnUpcall(ContextEngine engine, String mode) throws Exception {
        java.util.concurrent.atomic.AtomicReference<PyContext> self = new java.util.concurrent.atomic.AtomicReference<>();
        io.pyhost.core.interop.FunctionRegistry.shared().add(new io.pyhost.core.interop.FunctionRegistry.Entry("probe.closeMe", (a, k) -> {
            self.get().close();
            return "closed";
        }, 0, 5));
        PyContext context = interopContext(engine, mode);
        self.set(context);
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                System.out.println("outcome: " + context.eval("__import__('pyhost').call('probe.closeMe')"));
            } catch (RuntimeException e) {
                System.out.println("outcome: " + e);
            }
        });
        caller.join(20_000);
        if (caller.isAlive()) {
            throw new AssertionError(mode + ": the caller still waits 20 s after a function closed its context");
        }
        PyContext after = interopContext(engine, mode);
        if (!Long.valueOf(2).equals(after.eval("1 + 1"))) {
            throw new AssertionError("the runtime stopped working");
        }
        after.close();
    }

    /**
     * Python -> Java -> the same context -> Python -> Java ... until something gives, on a Java
     * platform thread of {@code stackKiB}: RecursionError or a JavaError in Python, never a crash.
     */
    private static void reentryTower(ContextEngine engine, String mode, long stackKiB) throws Exception {
        java.util.concurrent.atomic.AtomicReference<PyContext> self = new java.util.concurrent.atomic.AtomicReference<>();
        io.pyhost.core.interop.FunctionRegistry.shared().add(new io.pyhost.core.interop.FunctionRegistry.Entry("probe.down",
                (a, k) -> self.get().eval("down(" + a.get(0) + ")"), 0, 6));
        PyContext context = interopContext(engine, mode);
        self.set(context);
        context.exec("""
                import pyhost
                deepest = [0]
                def down(n):
                    deepest[0] = max(deepest[0], n)
                    try:
                        return pyhost.call('probe.down', n + 1)
                    except BaseException as e:
                        return type(e).__name__ + ' at ' + str(n)
                """);
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread tower = new Thread(null, () -> {
            try {
                outcome.set(context.eval("down(0)"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "tower", stackKiB * 1024);
        tower.start();
        tower.join(60_000);
        if (tower.isAlive()) {
            throw new AssertionError("the tower still runs after 60 s");
        }
        System.out.println(mode + " " + stackKiB + " KiB: " + outcome.get() + ", deepest " + context.eval("deepest[0]"));
        if (!Long.valueOf(2).equals(context.eval("1 + 1"))) {
            throw new AssertionError("the context stopped working");
        }
    }

    /** atexit callbacks, __del__ of globals and a weakref callback call Java while the context's interpreter ends. */
    private static void upcallWhileEnding(ContextEngine engine, String mode) throws Exception {
        java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        io.pyhost.core.interop.FunctionRegistry.shared().add(new io.pyhost.core.interop.FunctionRegistry.Entry("probe.count",
                (a, k) -> calls.incrementAndGet(), 0, 7));
        PyContext context = interopContext(engine, mode);
        context.exec("""
                import atexit, weakref, pyhost
                def safe(tag):
                    try:
                        pyhost.call('probe.count', tag)
                    except BaseException:
                        pass
                atexit.register(safe, 'atexit')
                class Dies:
                    def __del__(self):
                        safe('del')
                keep = Dies()
                class Target:
                    pass
                target = Target()
                ref = weakref.ref(target, lambda r: safe('weakref'))
                """);
        long start = System.nanoTime();
        context.close();
        Thread.sleep(1000); // an interpreter ends on its own thread after close returns
        System.out.println(mode + ": close took " + (System.nanoTime() - start) / 1_000_000 + " ms, " + calls.get() + " upcalls while ending");
        PyContext after = interopContext(engine, mode);
        if (!Long.valueOf(2).equals(after.eval("1 + 1"))) {
            throw new AssertionError("the runtime stopped working");
        }
        after.close();
    }
}
