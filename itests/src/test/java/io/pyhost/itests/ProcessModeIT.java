package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextInfo;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * Issue 15 in Felix: mode {@code process} through the real {@code ContextFactory}: the contract
 * (eval, exec, call, locals, values, exceptions, timeouts, interrupt, the effective preload in
 * core's order, {@code contexts()}), and containment: a child that crashes, exits, is killed, loops
 * in C, exhausts its memory or CPU limit or tries to start a process ends or fails its own context
 * only, while a worker and an owngil context keep answering.
 */
@RunWith(PaxExam.class)
public class ProcessModeIT extends PyhostTestSupport {
    private static final String PROCESS = ContextFactory.PROCESS;

    @Test
    public void theModeIsPresentAndServesTheContract() {
        assertTrue(factory.modes().toString(), factory.modes().contains(PROCESS));
        try (PyContext ctx = create(PROCESS)) {
            assertEquals(PROCESS, ctx.mode());
            assertEquals(4L, ctx.eval("2+2"));
            ctx.exec("def scale(v, by=2):\n    return [x * by for x in v]\nCOUNTER = 100");
            assertEquals(List.of(3L, 6L), ctx.call(null, "scale", List.of(List.of(1, 2)), Map.of("by", 3)));
            assertEquals("7b", ctx.call("builtins", "format", List.of(123, "x"), null));
            assertEquals(30L, ctx.eval("a * b", Map.of("a", 5, "b", 6)));
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("big", BigInteger.TEN.pow(30));
            value.put("bytes", new byte[] {1, 2, 3});
            value.put("nested", List.of(Map.of("k", List.of(true, 1.5))));
            assertEquals("{'big': 1000000000000000000000000000000, 'bytes': b'\\x01\\x02\\x03', 'nested': [{'k': [True, 1.5]}]}",
                    ctx.eval("repr(v)", Map.of("v", value)));
            assertEquals(BigInteger.TEN.pow(30), ctx.eval("10 ** 30"));
            PyException e = assertThrows(PyException.class, () -> ctx.exec("def f():\n    raise KeyError('k')\nf()"));
            assertEquals("KeyError", e.pythonType());
            assertEquals("'k'", e.pythonMessage());
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("line 2, in f"));
            // isolation: another process context does not see COUNTER
            try (PyContext other = create(PROCESS)) {
                assertEquals(false, other.eval("'COUNTER' in globals()"));
                assertNotEquals(ctx.eval("__import__('os').getpid()"), other.eval("__import__('os').getpid()"));
            }
        }
    }

    /**
     * The pyhost module over the channel, where it differs from the in-process modes: Java runs on
     * threads of its own, so a Java function that never returns costs the caller its deadline only;
     * Python threads and the request's own thread call Java at once (the child's channel has no
     * reader of its own); re-entry nests deep; junk given to the module's raw entry fails in Python.
     */
    @Test
    public void pythonCallsJavaOverTheChannelWithoutHangingTheCaller() throws Exception {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        List<org.osgi.framework.ServiceRegistration<?>> registrations = new ArrayList<>();
        PyContext[] self = new PyContext[1];
        registrations.add(function("it.process.hang", (args, kwargs) -> {
            never.await();
            return null;
        }));
        registrations.add(function("it.process.twice", (args, kwargs) -> 2 * (Long) args.get(0)));
        registrations.add(function("it.process.down", (args, kwargs) -> self[0].eval("down(n - 1)", Map.of("n", args.get(0)))));
        try (PyContext ctx = create(ContextOptions.mode(PROCESS).withCallTimeout(Duration.ofSeconds(20)))) {
            self[0] = ctx;
            ctx.exec("""
                    import pyhost, threading
                    def down(n):
                        return 0 if n == 0 else 1 + pyhost.call('it.process.down', n)
                    def threads(k):
                        out = [None] * k
                        def work(i):
                            out[i] = sum(pyhost.call('it.process.twice', j) for j in range(50))
                        ts = [threading.Thread(target=work, args=(i,)) for i in range(k)]
                        [t.start() for t in ts]
                        own = pyhost.call('it.process.twice', 21)
                        [t.join() for t in ts]
                        return own, out
                    """);
            assertEquals("Python -> Java -> the same context, 25 levels deep", 25L, ctx.eval("down(25)"));
            assertEquals(List.of(42L, List.of(2450L, 2450L, 2450L, 2450L)), ctx.eval("threads(4)"));
            PyException junk = assertThrows(PyException.class, () -> ctx.eval("pyhost.call.__globals__['_raw'](99)"));
            assertEquals("TypeError", junk.pythonType());
            assertEquals(4L, ctx.eval("2 + 2"));

            long started = System.nanoTime();
            PyException late = assertThrows(PyException.class, () -> ctx.eval("pyhost.call('it.process.hang')", null, Duration.ofMillis(500)));
            double seconds = (System.nanoTime() - started) / 1e9;
            assertEquals(PyException.Kind.TIMEOUT, late.kind());
            assertTrue("the caller was released " + seconds + " s after a 0.5 s deadline", seconds < 3);
        } finally {
            never.countDown();
            registrations.forEach(org.osgi.framework.ServiceRegistration::unregister);
        }
    }

    private org.osgi.framework.ServiceRegistration<?> function(String name, io.pyhost.api.PyFunction function) {
        java.util.Hashtable<String, Object> properties = new java.util.Hashtable<>();
        properties.put(io.pyhost.api.PyFunction.NAME, name);
        return bundleContext.registerService(io.pyhost.api.PyFunction.class, function, properties);
    }

    @Test
    public void theEffectivePreloadRunsInCoresOrder() {
        Path dir = tempDir();
        String module = uniqueModuleName("process");
        writeModule(dir, module, "ORDER = ['path']\n");
        preload.addPath(dir.toString());
        preload.addImport(module);
        preload.setCode("ORDER = " + module + ".ORDER + ['application']\nimport json");
        try (PyContext ctx = create(ContextOptions.mode(PROCESS).withPreload("ORDER.append('context')"))) {
            assertEquals(List.of("path", "application", "context"), ctx.eval("ORDER"));
            assertEquals("[1]", ctx.eval("json.dumps([1])"));
        }
        preload.setCode("x = 1\nraise ValueError('preload broke')");
        PyException e = assertThrows(PyException.class, () -> create(PROCESS));
        assertEquals("ValueError", e.pythonType());
        assertEquals("preload broke", e.pythonMessage());
    }

    /** Children of this JVM running the process mode's server (a pooled child belongs to no context). */
    static List<ProcessHandle> servers() {
        return ProcessHandle.current().children().filter(p -> p.info().commandLine().orElse("").contains("pyhost_child")).toList();
    }

    @Test
    public void aWarmPoolServesCreationsWithAChildStartedBeforeThem() throws Exception {
        org.osgi.service.cm.Configuration config = service(org.osgi.service.cm.ConfigurationAdmin.class).getConfiguration("io.pyhost.core", null);
        java.util.Dictionary<String, Object> before = config.getProperties();
        java.util.Dictionary<String, Object> properties = new java.util.Hashtable<>();
        if (before != null) {
            for (String key : Collections.list(before.keys())) {
                properties.put(key, before.get(key));
            }
        }
        properties.put("warmPool", "process=1");
        config.update(properties);
        try {
            awaitCondition(() -> "a pooled child", () -> servers().size() == 1);
            Thread.sleep(2_000); // its CPython start and shared preload (about 100 ms) are done
            long pooled = servers().get(0).pid();
            java.time.Instant createCalled = java.time.Instant.now();
            try (PyContext ctx = create(PROCESS)) {
                long pid = (Long) ctx.eval("__import__('os').getpid()");
                assertEquals("the pooled child serves the creation", pooled, pid);
                java.time.Instant started = ProcessHandle.of(pid).orElseThrow().info().startInstant().orElseThrow();
                assertTrue(started + " before " + createCalled, started.isBefore(createCalled));
                ContextInfo listed = info(ctx);
                assertEquals(pid, listed.pid());
                assertTrue(listed.residentBytes() > 1 << 20);
                awaitCondition(() -> "the pool to refill", () -> servers().size() == 2);
            }
        } finally {
            if (before == null) {
                config.delete();
            } else {
                config.update(before);
            }
        }
        awaitCondition(() -> "the pooled child to end once warmPool no longer names process", () -> servers().isEmpty());
    }

    @Test
    public void timeoutsInterruptsAndTheListing() throws Exception {
        try (PyContext ctx = create(ContextOptions.mode(PROCESS).withCallTimeout(Duration.ofMillis(300)))) {
            long t0 = System.nanoTime();
            PyException e = assertThrows(PyException.class, () -> ctx.exec("while True: pass"));
            assertTrue(e.isTimeout());
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
            assertEquals(4L, ctx.eval("2+2"));

            CompletableFuture<Object> sleeping = ctx.evalAsync("__import__('time').sleep(20)");
            awaitCondition(() -> "the call to start", () -> info(ctx).busy());
            ContextInfo busy = info(ctx);
            assertEquals(ContextInfo.State.BUSY, busy.state());
            assertEquals("io.pyhost.strategy.process/" + bundle("io.pyhost.strategy.process").getVersion(), busy.strategy());
            assertTrue(ctx.interrupt());
            PyException interrupted = (PyException) assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> sleeping.get(10, TimeUnit.SECONDS)).getCause();
            assertEquals("KeyboardInterrupt", interrupted.pythonType());
            assertEquals(1L, ctx.eval("1"));
            assertEquals(ContextInfo.State.IDLE, info(ctx).state());
        }
    }

    @Test
    public void everyWayAChildCanDieEndsOnlyItsOwnContext() throws Exception {
        Map<String, String> deaths = new LinkedHashMap<>();
        deaths.put("import ctypes; ctypes.string_at(0)", "was killed by signal 11 (SIGSEGV)");
        deaths.put("import os; os._exit(3)", "exited with status 3");
        deaths.put("import os; os.kill(os.getpid(), 9)", "was killed by signal 9 (SIGKILL)");
        withBystanders(() -> {
            deaths.forEach((code, how) -> {
                PyContext ctx = create(PROCESS);
                long pid = (Long) ctx.eval("__import__('os').getpid()");
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.exec(code));
                assertTrue(code + ": " + e.getMessage(),
                        e.getMessage().startsWith("context " + ctx.id() + " (process) is closed: its child process " + pid + " " + how));
                assertTrue(ctx.isClosed());
                assertEquals(e.getMessage(), assertThrows(IllegalStateException.class, () -> ctx.eval("1")).getMessage());
                assertFalse(openContexts().stream().anyMatch(i -> i.id() == ctx.id()));
            });
        });
    }

    @Test
    public void codeStuckInCIsBoundedByItsTimeout() throws Exception {
        withBystanders(() -> {
            // deaf to SIGINT, like C code that never checks: killed after the grace
            try (PyContext ctx = create(PROCESS)) {
                ctx.exec("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)");
                long t0 = System.nanoTime();
                assertTrue(assertThrows(PyException.class, () -> ctx.exec("time.sleep(60)", Duration.ofMillis(300))).isTimeout());
                assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.eval("1", null, Duration.ofSeconds(10)));
                assertTrue(e.getMessage(), e.getMessage().contains("was killed by pyhost: a call ran past its timeout of 300 ms"));
            }
            // a catastrophic regex (C code in _sre): the caller is released at the deadline either way
            try (PyContext ctx = create(PROCESS)) {
                long t0 = System.nanoTime();
                assertTrue(assertThrows(PyException.class,
                        () -> ctx.eval("__import__('re').match(r'(a+)+$', 'a' * 64 + 'b')", null, Duration.ofMillis(300))).isTimeout());
                assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
            }
        });
    }

    @Test
    public void kernelLimitsHoldAndOnlyTheirContextNotices() throws Exception {
        Path marker = tempDir().resolve("ran");
        withBystanders(() -> {
            try (PyContext ctx = create(ContextOptions.mode(PROCESS).withMemoryLimit(256L << 20))) {
                PyException e = assertThrows(PyException.class, () -> ctx.exec("hog = []\nwhile True: hog.append(bytearray(1 << 20))"));
                assertEquals("MemoryError", e.pythonType());
                assertTrue(e.isResourceExhausted());
                ctx.exec("hog = None");
                assertEquals(2L, ctx.eval("1+1"));
            }
            try (PyContext ctx = create(ContextOptions.mode(PROCESS).withCpuLimit(Duration.ofSeconds(1)))) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.exec("while True: pass"));
                assertTrue(e.getMessage(), e.getMessage().contains("was killed by signal 24 (SIGXCPU): the CPU limit of 1000 ms was reached"));
            }
            try (PyContext ctx = create(PROCESS)) {
                ctx.exec("import os, subprocess, ctypes");
                for (String code : List.of("os.fork()", "os.execv('/bin/sh', ['sh'])", "os.posix_spawn('/bin/true', ['true'], {})",
                        "subprocess.run(['/bin/true'])")) {
                    assertEquals(code, "PermissionError", assertThrows(PyException.class, () -> ctx.exec(code)).pythonType());
                }
                Map<String, Object> m = Map.of("m", marker.toString());
                assertEquals(127L << 8, ctx.eval("os.system('touch ' + m)", m));
                assertEquals(127L << 8, ctx.eval("ctypes.CDLL(None).system(('touch ' + m).encode())", m));
                assertFalse(java.nio.file.Files.exists(marker));
                assertEquals(1L, ctx.eval("1"));
            }
        });
    }

    /**
     * DESIGN.md "Packages and buffers": a {@code MemorySegment} is lent to Python as a memoryview
     * over the same memory, which a child process cannot see. Process mode refuses it, whether in
     * args or locals, before anything is sent, and the context goes on.
     */
    @Test
    public void aMemorySegmentIsRefusedNamingWhy() {
        try (PyContext ctx = create(PROCESS); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment segment = arena.allocate(16);
            for (org.junit.function.ThrowingRunnable lend : List.<org.junit.function.ThrowingRunnable>of(
                    () -> ctx.call("builtins", "len", List.of(segment), null),
                    () -> ctx.eval("len(m)", Map.of("m", segment)),
                    () -> ctx.call(null, "len", List.of(List.of(segment)), null))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, lend);
                assertTrue(e.getMessage(), e.getMessage().startsWith("mode 'process' cannot lend a MemorySegment to Python: the context "
                        + "runs in a child process, which cannot see this JVM's memory"));
            }
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }

    /** The other way: a handle's {@code buffer()} would be the child's memory, which this JVM cannot map. */
    @Test
    public void aHandlesBufferIsRefusedNamingWhy() {
        try (PyContext ctx = create(PROCESS)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> {
                try (io.pyhost.api.PyObject bytes = ctx.evalObject("bytearray(8)")) {
                    bytes.buffer();
                }
            });
            assertTrue("names the buffer and the process: " + e.getMessage(),
                    e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("buffer") && e.getMessage().contains("process"));
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }

    @Test
    public void otherModesRefuseACpuLimitNamingTheMode() {
        for (String mode : List.of(ContextFactory.WORKER, ContextFactory.OWNGIL)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> create(ContextOptions.mode(mode).withCpuLimit(Duration.ofSeconds(1))));
            assertTrue(e.getMessage(), e.getMessage().startsWith("cpuLimit needs a context in its own process (mode 'process'); mode '" + mode + "'"));
        }
    }

    @Test
    public void whenTheStrategyLeavesItsContextsCloseAndTheirChildrenEnd() throws Exception {
        PyContext ctx = create(PROCESS);
        long pid = (Long) ctx.eval("__import__('os').getpid()");
        Bundle strategy = bundle("io.pyhost.strategy.process");
        strategy.stop();
        try {
            assertTrue(ctx.isClosed());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.eval("1"));
            assertTrue(e.getMessage(), e.getMessage().contains("its strategy for mode 'process'"));
            awaitCondition(() -> "child " + pid + " to end", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        } finally {
            strategy.start();
        }
        awaitCondition(() -> "mode process to return", () -> factory.modes().contains(PROCESS));
        try (PyContext again = create(PROCESS)) {
            assertEquals(2L, again.eval("1+1"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private ContextInfo info(PyContext ctx) {
        return openContexts().stream().filter(i -> i.id() == ctx.id()).findFirst().orElseThrow();
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : bundleContext.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(symbolicName + " is not installed: " + bundleStates());
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} while a worker and an owngil context answer calls in a loop on other
     * threads; fails if any of their answers was wrong or missing, or if they stopped answering.
     */
    private void withBystanders(Body body) throws Exception {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong answers = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (String mode : List.of(ContextFactory.WORKER, ContextFactory.OWNGIL)) {
            PyContext bystander = create(mode);
            bystander.exec("n = 0");
            threads.add(Thread.ofPlatform().name("bystander-" + mode).start(() -> {
                long expected = 0;
                while (!stop.get()) {
                    try {
                        bystander.exec("n += 1");
                        expected++;
                        Object n = bystander.eval("n");
                        if (!Long.valueOf(expected).equals(n)) {
                            problems.add(mode + " answered " + n + ", expected " + expected);
                        }
                        answers.incrementAndGet();
                        Thread.sleep(5);
                    } catch (Throwable t) {
                        problems.add(mode + ": " + t);
                        return;
                    }
                }
            }));
        }
        try {
            body.run();
            long before = answers.get();
            awaitCondition(() -> "the bystanders to answer after the body", () -> answers.get() > before + 4);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        assertEquals(List.of(), problems);
    }
}
