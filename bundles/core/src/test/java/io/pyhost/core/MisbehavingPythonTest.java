package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/** Timeouts, explicit interrupts and the sandbox, in every mode. */
@RunWith(Parameterized.class)
public class MisbehavingPythonTest extends EngineTest {
    @Parameters(name = "{0}")
    public static Collection<String> modes() {
        return EmbeddedPython.MODES;
    }

    private final String mode;

    public MisbehavingPythonTest(String mode) {
        this.mode = mode;
    }

    @Test
    public void fiftyShortTimeoutsNeverLeaveAStaleReply() {
        try (PyContext ctx = EmbeddedPython.create(engine, ContextOptions.mode(mode).withCallTimeout(Duration.ofMillis(20)))) {
            for (int i = 0; i < 50; i++) {
                PyException e = assertThrows(PyException.class, () -> ctx.exec("while True: pass"));
                assertEquals("TimeoutError", e.pythonType());
                assertEquals(2L, ctx.eval("1 + 1", null, Duration.ofSeconds(5)));
            }
        }
    }

    @Test
    public void sleepingPastTheTimeoutTimesOutAndRecovers() {
        try (PyContext ctx = EmbeddedPython.create(engine, mode)) {
            ctx.exec("import time");
            long t0 = System.nanoTime();
            PyException e = assertThrows(PyException.class, () -> ctx.exec("time.sleep(2)", Duration.ofMillis(200)));
            assertEquals("TimeoutError", e.pythonType());
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
            assertEquals(4L, ctx.eval("2 + 2", null, Duration.ofSeconds(10))); // waits while the sleep finishes
        }
    }

    @Test
    public void interruptStopsARunningCallAndSaysSoWhenIdle() throws Exception {
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (PyContext ctx = EmbeddedPython.create(engine, mode)) {
            assertFalse(ctx.interrupt());
            Future<Object> running = caller.submit(() -> ctx.eval("[x for x in iter(int, 1)]"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!ctx.interrupt()) {
                assertTrue("the call never started", System.nanoTime() < deadline);
                Thread.sleep(1);
            }
            var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> running.get(5, TimeUnit.SECONDS));
            assertEquals("KeyboardInterrupt", ((PyException) failure.getCause()).pythonType());
            assertEquals(3L, ctx.eval("1 + 2"));
            assertFalse(ctx.interrupt());
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    public void theSandboxRefusesProcessCreationWhereItIsOn() {
        try (PyContext boxed = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(true))) {
            boxed.exec("import os, subprocess");
            for (String code : List.of("os.system('true')", "os.fork()", "os.execv('/bin/true', ['true'])",
                    "os.spawnv(os.P_WAIT, '/bin/true', ['true'])", "os.posix_spawn('/bin/true', ['true'], {})",
                    "subprocess.Popen(['/bin/true'])")) {
                PyException e = assertThrows(code, PyException.class, () -> boxed.exec(code));
                assertEquals(code, "RuntimeError", e.pythonType());
                boolean refusedByConfig = mode.equals("owngil") && (code.contains("fork") || code.contains("exec") || code.contains("spawnv")); // os.spawnv forks in Python
                // an own-GIL interpreter's configuration refuses fork and exec before the audit event fires
                assertTrue(code + ": " + e.pythonMessage(), refusedByConfig
                        ? e.pythonMessage().contains("not supported for isolated subinterpreters")
                        : e.pythonMessage().startsWith("pyhost sandbox refuses "));
            }
            assertEquals("pyhost sandbox refuses os.system", assertThrows(PyException.class, () -> boxed.exec("os.system('true')")).pythonMessage());
        }
        if (!mode.equals("owngil")) { // an own-GIL interpreter refuses fork/exec by its configuration
            try (PyContext open = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false))) {
                assertEquals(0L, open.eval("__import__('os').system('true')"));
                assertEquals(0L, open.eval("__import__('subprocess').call(['/bin/true'])"));
            }
        }
    }

    @Test
    public void owngilIsSandboxedByDefault() {
        try (PyContext ctx = EmbeddedPython.create(engine, mode)) {
            if (mode.equals("owngil")) {
                PyException e = assertThrows(PyException.class, () -> ctx.exec("__import__('os').system('true')"));
                assertEquals("pyhost sandbox refuses os.system", e.pythonMessage());
            } else {
                assertEquals(0L, ctx.eval("__import__('os').system('true')"));
            }
        }
    }
}
