package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * Issue 7 in Felix, in every mode: runaway code is bounded by timeouts and interrupts, an
 * own-GIL context's memory is capped, the sandbox refuses process creation, and bad input gets
 * an exact message while the context keeps working.
 */
@RunWith(PaxExam.class)
public class MisbehavingPythonIT extends PyhostTestSupport {
    private static final long MIB = 1024 * 1024;

    @Test
    public void anEndlessLoopTimesOutAndTheNextCallIsRight() {
        forEachMode(mode -> {
            try (PyContext ctx = create(ContextOptions.mode(mode).withCallTimeout(Duration.ofMillis(300)))) {
                long t0 = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> ctx.exec("while True: pass"));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertEquals("TimeoutError", e.pythonType());
                assertTrue("timeout after " + ms + " ms", ms < 1500);
                assertEquals(4L, ctx.eval("2+2"));
            }
            try (PyContext ctx = create(ContextOptions.mode(mode).withCallTimeout(Duration.ofMillis(20)))) {
                for (int i = 0; i < 50; i++) {
                    assertEquals("TimeoutError", assertThrows(PyException.class, () -> ctx.exec("while True: pass")).pythonType());
                    assertEquals("round " + i, 2L, ctx.eval("1+1"));
                }
            }
        });
    }

    @Test
    public void exceptExceptionDoesNotSwallowTheTimeout() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                PyException e = assertThrows(PyException.class, () -> ctx.exec(
                        "while True:\n    try:\n        sum(range(1000))\n    except Exception:\n        pass\n", Duration.ofMillis(200)));
                assertEquals("TimeoutError", e.pythonType());
            }
        });
    }

    @Test
    public void aLongSleepTimesOutThenTheContextRecovers() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                ctx.exec("import time");
                long t0 = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> ctx.exec("time.sleep(5)", Duration.ofMillis(200)));
                assertEquals("TimeoutError", e.pythonType());
                assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
                // busy until the sleep returns, then it serves again
                assertEquals(4L, ctx.eval("2+2", null, Duration.ofSeconds(15)));
            }
        });
    }

    @Test
    public void interruptReachesARunningCallAndSaysSoWhenIdle() throws Exception {
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            forEachMode(mode -> {
                try (PyContext ctx = create(mode)) {
                    assertFalse("idle context", ctx.interrupt());
                    Future<Object> running = caller.submit(() -> ctx.eval("[x for x in iter(int, 1)]"));
                    awaitCondition(() -> "the call to start", ctx::interrupt);
                    ExecutionException e = assertThrows(ExecutionException.class, () -> running.get(10, TimeUnit.SECONDS));
                    assertEquals("KeyboardInterrupt", ((PyException) e.getCause()).pythonType());
                    assertEquals(3L, ctx.eval("1+2"));
                }
            });
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    public void anOwnGilContextIsHeldToItsMemoryCap() {
        assertTrue(modes().contains(ContextFactory.OWNGIL));
        try (PyContext capped = create(ContextOptions.mode(ContextFactory.OWNGIL).withMemoryLimit(64 * MIB));
             PyContext other = create(ContextFactory.OWNGIL)) {
            for (int attempt = 1; attempt <= 2; attempt++) {
                PyException e = assertThrows(PyException.class, () -> capped.exec("hog = [[] for _ in range(3_000_000)]"));
                assertEquals("attempt " + attempt, "MemoryError", e.pythonType());
                assertEquals("the context exceeded its memory limit of " + 64 * MIB + " bytes", e.pythonMessage());
                assertEquals(4L, capped.eval("2+2"));
            }
            other.exec("hog = [[] for _ in range(3_000_000)]");
            assertEquals(3_000_000L, other.eval("len(hog)"));
        }
        for (String mode : List.of(ContextFactory.WORKER, ContextFactory.SUBINTERP)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> create(ContextOptions.mode(mode).withMemoryLimit(64 * MIB)));
            assertTrue(e.getMessage(), e.getMessage().startsWith("memoryLimit needs an interpreter with its own allocator"));
        }
    }

    @Test
    public void theSandboxRefusesProcessCreationWhereItIsOn() {
        forEachMode(mode -> {
            if (mode.equals(ContextFactory.PROCESS)) {
                assertTheKernelRefusesProcessCreation();
                return;
            }
            try (PyContext boxed = create(ContextOptions.mode(mode).withSandbox(true))) {
                boxed.exec("import os, subprocess");
                for (String code : List.of("os.system('true')", "os.posix_spawn('/bin/true', ['true'], {})",
                        "subprocess.Popen(['/bin/true'])", "os.fork()", "os.execv('/bin/true', ['true'])",
                        "os.spawnv(os.P_WAIT, '/bin/true', ['true'])")) {
                    PyException e = assertThrows(code, PyException.class, () -> boxed.exec(code));
                    assertEquals(code, "RuntimeError", e.pythonType());
                    boolean configRefuses = mode.equals(ContextFactory.OWNGIL) && !code.startsWith("os.system")
                            && !code.startsWith("os.posix_spawn") && !code.startsWith("subprocess");
                    assertTrue(code + ": " + e.pythonMessage(), configRefuses
                            ? e.pythonMessage().contains("not supported for isolated subinterpreters")
                            : e.pythonMessage().startsWith("pyhost sandbox refuses "));
                }
            }
            if (!mode.equals(ContextFactory.OWNGIL)) {
                try (PyContext open = create(ContextOptions.mode(mode).withSandbox(false))) {
                    assertEquals(0L, open.eval("__import__('os').system('true')"));
                    assertEquals(0L, open.eval("__import__('subprocess').call(['/bin/true'])"));
                }
            } else {
                try (PyContext byDefault = create(mode)) {
                    assertEquals("pyhost sandbox refuses os.system",
                            assertThrows(PyException.class, () -> byDefault.exec("__import__('os').system('true')")).pythonMessage());
                }
            }
        });
    }


    /**
     * Mode process sandboxes in the kernel (a seccomp filter in the child), not with the in-process
     * audit hook: the refusal is the kernel's {@code EPERM}, so Python raises {@code PermissionError}
     * (and {@code os.system}, whose C fork fails, returns status 127) where the in-process sandbox
     * raises {@code RuntimeError("pyhost sandbox refuses ...")}; sandboxed by default, and off with
     * {@code withSandbox(false)} as in the other modes.
     */
    private void assertTheKernelRefusesProcessCreation() {
        for (ContextOptions options : List.of(ContextOptions.mode(ContextFactory.PROCESS).withSandbox(true),
                ContextOptions.mode(ContextFactory.PROCESS))) {
            try (PyContext boxed = create(options)) {
                boxed.exec("import os, subprocess");
                for (String code : List.of("os.posix_spawn('/bin/true', ['true'], {})", "subprocess.Popen(['/bin/true'])", "os.fork()",
                        "os.execv('/bin/true', ['true'])", "os.spawnv(os.P_WAIT, '/bin/true', ['true'])")) {
                    PyException e = assertThrows(options + ": " + code, PyException.class, () -> boxed.exec(code));
                    assertEquals(options + ": " + code + ": " + e.pythonMessage(), "PermissionError", e.pythonType());
                }
                assertEquals(options + ": os.system's fork is refused", 127L << 8, boxed.eval("os.system('true')"));
                assertEquals("the context keeps working", 2L, boxed.eval("1 + 1"));
            }
        }
        try (PyContext open = create(ContextOptions.mode(ContextFactory.PROCESS).withSandbox(false))) {
            assertEquals(0L, open.eval("__import__('os').system('true')"));
            assertEquals(0L, open.eval("__import__('subprocess').call(['/bin/true'])"));
        }
    }
    @Test
    public void badInputGetsAnExactMessageAndChangesNothing() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                ctx.exec("state = 1");
                assertEquals("expression is null", assertThrows(IllegalArgumentException.class, () -> ctx.eval(null)).getMessage());
                assertEquals("code contains a NUL character",
                        assertThrows(IllegalArgumentException.class, () -> ctx.exec("state = 2\0")).getMessage());
                assertEquals("module contains a NUL character",
                        assertThrows(IllegalArgumentException.class, () -> ctx.call("js\0on", "dumps", null, null)).getMessage());
                assertEquals("ModuleNotFoundError",
                        assertThrows(PyException.class, () -> ctx.call("no_such_module", "f", null, null)).pythonType());
                assertEquals("module 'json' has no attribute 'nope'",
                        assertThrows(PyException.class, () -> ctx.call("json", "nope", null, null)).pythonMessage());
                assertEquals("pyhost does not give Python a Java java.lang.Thread: through it Python could reach past what was exported to it",
                        assertThrows(IllegalArgumentException.class, () -> ctx.eval("x", Map.of("x", Thread.currentThread()))).getMessage());
                Object deep = List.of();
                for (int i = 0; i < 150; i++) {
                    deep = List.of(deep);
                }
                Object tooDeep = deep;
                assertEquals("Java value nested deeper than 100 levels",
                        assertThrows(IllegalArgumentException.class, () -> ctx.eval("x", Map.of("x", tooDeep))).getMessage());
                assertEquals("Python value nested deeper than 100 levels",
                        assertThrows(IllegalArgumentException.class, () -> ctx.eval("eval('[' * 150 + ']' * 150)")).getMessage());
                ctx.exec("loop = []\nloop.append(loop)");
                assertEquals("Python list contains itself; a cycle cannot be converted",
                        assertThrows(IllegalArgumentException.class, () -> ctx.eval("loop")).getMessage());
                List<Object> javaLoop = new ArrayList<>();
                javaLoop.add(javaLoop);
                assertEquals("Java java.util.ArrayList contains itself; a cycle cannot be converted",
                        assertThrows(IllegalArgumentException.class, () -> ctx.eval("x", Map.of("x", javaLoop))).getMessage());
                assertEquals("a\uD800b", ctx.eval("x", Map.of("x", "a\uD800b"))); // lone surrogates survive
                assertEquals(BigInteger.TWO.pow(100_000), ctx.eval("2 ** 100000"));
                assertEquals(1L, ctx.eval("state"));
            }
        });
    }

    @Test
    public void hundredMegabytesOfBytesComeBackWhole() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                byte[] big = (byte[]) ctx.eval("b'\\x07' * (100 * 1024 * 1024)");
                assertEquals(100 * 1024 * 1024, big.length);
                assertEquals(7, big[big.length - 1]);
            }
        });
    }
}
