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
        context.exec("""
                import sys, threading, pyhost
                sys.setrecursionlimit(10**6)
                hits = []
                class Deep:
                    def __getattr__(self, name):
                        try:
                            hits.append(pyhost.call('probe.ping'))
                        except RecursionError:
                            pass
                        return getattr(self, name)
                class Calls:
                    def __del__(self):
                        try:
                            hits.append(pyhost.call('probe.ping'))
                        except RecursionError:
                            pass
                def run():
                    try:
                        Deep().x
                    except RecursionError:
                        pass
                    nested = []
                    for _ in range(10**5):
                        nested = [nested, Calls()]
                    del nested
                run()
                t = threading.Thread(target=run)
                t.start()
                t.join()
                """);
        long hits = (Long) context.eval("len(hits)");
        if (hits < 1000) {
            throw new AssertionError(mode + ": only " + hits + " upcalls ran");
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
}
