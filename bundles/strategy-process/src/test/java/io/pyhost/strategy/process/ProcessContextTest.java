package io.pyhost.strategy.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyException;

/** A real child CPython behind the channel, without OSGi: the contract, containment and limits. */
public class ProcessContextTest {

    @Test
    public void evalExecCallAndLocals() {
        try (ProcessContext ctx = Children.open()) {
            assertEquals(4L, ctx.eval("2+2"));
            ctx.exec("def add(a, b=1):\n    return a + b\nCOUNTER = 100");
            assertEquals(100L, ctx.eval("COUNTER"));
            assertEquals(12L, ctx.call(null, "add", List.of(2), Map.of("b", 10)));
            assertEquals(3L, ctx.call("", "add", List.of(2), null));
            assertEquals("a-b", ctx.call("string", "capwords", List.of("a b"), Map.of("sep", " ")).toString().replace(' ', '-').toLowerCase());
            assertEquals(25L, ctx.eval("x * y", Map.of("x", 5, "y", 5)));
            assertEquals("x", assertThrows(PyException.class, () -> ctx.eval("x")).pythonMessage().split("'")[1]);
            assertEquals(ctx.pid(), ctx.eval("__import__('os').getpid()"));
            assertNotEquals(ProcessHandle.current().pid(), ctx.pid());
        }
    }

    @Test
    public void asyncTasksRaiseConvertAndEndWithTheirContext() throws Exception {
        ProcessContext ctx = Children.open();
        try {
            ctx.exec("import asyncio\n"
                    + "async def fail():\n    raise ValueError('in a task')\n"
                    + "async def odd():\n    return object()\n"
                    + "async def wait():\n    await asyncio.Event().wait()\n");
            PyException raised = (PyException) assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> ctx.callAsync(null, "fail", null, null).get(10, TimeUnit.SECONDS)).getCause();
            assertEquals("ValueError", raised.pythonType());
            assertEquals("in a task", raised.pythonMessage());
            assertTrue("its str(): " + ctx.callAsync(null, "odd", null, null).get(10, TimeUnit.SECONDS),
                    String.valueOf(ctx.callAsync(null, "odd", null, null).get(10, TimeUnit.SECONDS)).startsWith("<object object at"));
            assertEquals("not awaitable: answered at once", 7L, ctx.evalAsync("3 + 4").get(10, TimeUnit.SECONDS));
            CompletableFuture<Object> waiting = ctx.callAsync(null, "wait", null, null);
            assertEquals(2L, ctx.eval("1 + 1")); // the task runs on the loop thread; the context still answers
            assertFalse(waiting.isDone());
            ctx.close();
            Throwable ended = assertThrows(java.util.concurrent.ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS)).getCause();
            assertTrue(ended.toString(), ended instanceof IllegalStateException && ended.getMessage().contains("is closed: it was closed"));
        } finally {
            ctx.close();
        }
    }

    @Test
    public void infoNamesTheChildsPidAndResidentMemory() throws Exception {
        try (ProcessContext ctx = Children.open()) {
            var before = ctx.info("s");
            assertEquals(ctx.pid(), before.pid());
            assertTrue("a CPython is some MiB resident: " + before.residentBytes(), before.residentBytes() > 4L << 20);
            ctx.exec("block = bytearray(64 << 20)"); // touched: resident
            var after = ctx.info("s");
            assertTrue(before.residentBytes() + " then " + after.residentBytes(), after.residentBytes() > before.residentBytes() + (60L << 20));
            String status = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + ctx.pid() + "/status"));
            assertTrue(status, status.contains("VmRSS:"));
        }
        assertEquals(io.pyhost.api.ContextInfo.NONE, ProcessContext.residentBytes(Long.MAX_VALUE));
    }

    @Test
    public void valuesBothWays() {
        try (ProcessContext ctx = Children.open()) {
            Map<String, Object> in = new LinkedHashMap<>();
            in.put("b", List.of(1, 2.5, "s", new byte[] {1, 2}));
            in.put("a", Set.of(true));
            in.put("n", null);
            in.put("big", BigInteger.TWO.pow(100));
            ctx.exec("def echo(v):\n    return v");
            Object back = ctx.call(null, "echo", List.of(in), null);
            assertEquals(List.of("b", "a", "n", "big"), new ArrayList<>(((Map<?, ?>) back).keySet()));
            assertEquals(BigInteger.TWO.pow(100), ((Map<?, ?>) back).get("big"));
            assertEquals("<class 'bytes'>", ctx.eval("str(type(v[3]))", Map.of("v", List.of(1, 2, 3, new byte[0]))));
            assertEquals(List.of(1L, "t"), ctx.eval("(1, 't')"));
            assertEquals(Set.of(1L, 2L), ctx.eval("frozenset({1, 2})"));
            assertEquals(Double.POSITIVE_INFINITY, ctx.eval("float('inf')"));
            assertEquals("1j", ctx.eval("1j")); // anything else: its str()
            assertEquals(-(1L << 63), ctx.eval("-(1 << 63)"));
            assertEquals(BigInteger.ONE.shiftLeft(63), ctx.eval("1 << 63"));
            assertEquals("\ud800", ctx.eval("'\\ud800'"));
            assertEquals("Python list contains itself; a cycle cannot be converted",
                    assertThrows(IllegalArgumentException.class, () -> ctx.eval("(lambda l: (l.append(l), l)[1])([])")).getMessage());
            assertEquals(2L, ctx.eval("1+1")); // the context goes on
        }
    }

    @Test
    public void pythonExceptionsCarryTypeMessageAndTraceback() {
        try (ProcessContext ctx = Children.open()) {
            ctx.exec("class MyError(Exception): pass\ndef fail():\n    raise MyError('boom')");
            PyException e = assertThrows(PyException.class, () -> ctx.call(null, "fail", null, null));
            assertEquals("MyError", e.pythonType());
            assertEquals("__pyhost__.MyError", e.pythonQualifiedType());
            assertEquals("boom", e.pythonMessage());
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("in fail"));
            assertFalse(e.pythonTraceback(), e.pythonTraceback().contains("pyhost_child"));
            assertTrue(e.isGuestException());
            assertEquals("SyntaxError", assertThrows(PyException.class, () -> ctx.exec("def (")).pythonType());
            assertEquals("SystemExit", assertThrows(PyException.class, () -> ctx.exec("raise SystemExit(2)")).pythonType());
            assertEquals(1L, ctx.eval("1"));
        }
    }

    @Test
    public void preloadRunsInCoresOrderAndItsErrorFailsCreation() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("pyhost-process-test");
        java.nio.file.Files.writeString(dir.resolve("pp_mod.py"), "VALUE = 'from path'\n");
        List<Fragment> fragments = List.of(new Fragment("plugin/1.0.0!a.py", 100, "ORDER = ['a', pp_mod.VALUE]"),
                new Fragment("application", 0, "ORDER.append('app')\nimport json"));
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withPreload("ORDER.append('context')"),
                List.of(dir.toString()), List.of("pp_mod"), fragments)) {
            assertEquals(List.of("a", "from path", "app", "context"), ctx.eval("ORDER"));
            assertEquals("{}", ctx.eval("json.dumps({})"));
        }
        PyException e = assertThrows(PyException.class, () -> Children.open(ContextOptions.mode("process"), List.of(), List.of(),
                List.of(new Fragment("plugin/1.0.0!bad.py", 0, "x = 1\ndef broken(:\n"))));
        assertEquals("SyntaxError", e.pythonType());
        assertTrue(e.getMessage(), e.getMessage().contains("plugin/1.0.0!bad.py"));
    }

    @Test
    public void aTimeoutInterruptsAndTheContextGoesOn() {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofMillis(300)))) {
            long t0 = System.nanoTime();
            PyException e = assertThrows(PyException.class, () -> ctx.exec("while True: pass"));
            assertTrue(e.isTimeout());
            assertEquals("TimeoutError", e.pythonType());
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
            assertEquals(4L, ctx.eval("2+2"));
            assertThrows(PyException.class, () -> ctx.exec("import time; time.sleep(30)"));
            assertEquals(5L, ctx.eval("2+3"));
            for (int i = 0; i < 20; i++) {
                assertTrue(assertThrows(PyException.class, () -> ctx.exec("while True: pass", Duration.ofMillis(20))).isTimeout());
                assertEquals("round " + i, 2L, ctx.eval("1+1"));
            }
            assertFalse(ctx.isClosed());
        }
    }

    @Test
    public void aCallStuckInCIsKilledAfterTheGraceAndTheCallerIsReleasedAtItsDeadline() {
        try (ProcessContext ctx = Children.open()) {
            ctx.exec("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)"); // deaf to interrupts, like a C loop
            long t0 = System.nanoTime();
            assertTrue(assertThrows(PyException.class, () -> ctx.exec("while True: pass", Duration.ofMillis(200))).isTimeout());
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
            long waited = System.nanoTime();
            IllegalStateException gone = assertThrows(IllegalStateException.class, () -> ctx.eval("1"));
            assertTrue(gone.getMessage(), gone.getMessage().contains("was killed by pyhost: a call ran past its timeout of 200 ms and did not stop within 1000 ms"));
            assertTrue(System.nanoTime() - waited < TimeUnit.MILLISECONDS.toNanos(3000));
            assertTrue(ctx.isClosed());
        }
    }

    @Test
    public void interruptEndsTheRunningCall() throws Exception {
        try (ProcessContext ctx = Children.open()) {
            assertFalse(ctx.interrupt());
            CompletableFuture<Object> running = ctx.evalAsync("__import__('time').sleep(30)");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!ctx.info("t").busy() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Thread.sleep(50);
            assertTrue(ctx.interrupt());
            PyException e = (PyException) assertThrows(java.util.concurrent.ExecutionException.class, () -> running.get(10, TimeUnit.SECONDS)).getCause();
            assertEquals("KeyboardInterrupt", e.pythonType());
            assertTrue(e.isInterrupted());
            assertEquals(9L, ctx.eval("3*3"));
        }
    }

    @Test
    public void childDeathClosesTheContextNamingHow() {
        Map<String, String> deaths = new LinkedHashMap<>();
        deaths.put("import os; os._exit(3)", "exited with status 3");
        deaths.put("import os; os.kill(os.getpid(), 9)", "was killed by signal 9 (SIGKILL)");
        deaths.put("import ctypes; ctypes.string_at(0)", "was killed by signal 11 (SIGSEGV)");
        deaths.forEach((code, how) -> {
            ProcessContext ctx = Children.open();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.exec(code));
            assertTrue(code + ": " + e.getMessage(), e.getMessage().startsWith("context " + ctx.id() + " (process) is closed: its child process " + ctx.pid() + " " + how));
            assertTrue(ctx.isClosed());
            assertEquals(e.getMessage(), assertThrows(IllegalStateException.class, () -> ctx.eval("1")).getMessage());
            ctx.close();
        });
    }

    @Test
    public void memoryLimitRefusesAllocationsPastIt() {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withMemoryLimit(256L << 20))) {
            PyException e = assertThrows(PyException.class, () -> ctx.exec("b = bytearray(512 << 20)"));
            assertEquals("MemoryError", e.pythonType());
            assertTrue(e.isResourceExhausted());
            PyException slow = assertThrows(PyException.class, () -> ctx.exec("chunks = []\nwhile True: chunks.append(bytearray(1 << 20))"));
            assertEquals("MemoryError", slow.pythonType());
            ctx.exec("chunks = None");
            assertEquals(2L, ctx.eval("1+1"));
        }
    }

    @Test
    public void cpuLimitEndsTheContext() {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withCpuLimit(Duration.ofSeconds(1)))) {
            // the server's poll for the next request would be charged to the context's CPU time: it is off here
            String spin = "__import__('sys').modules['__main__']._spin_seconds";
            assertEquals(0L, ((Number) ctx.eval(spin)).longValue());
            try (ProcessContext unlimited = Children.open()) {
                assertTrue(((Number) unlimited.eval(spin)).doubleValue() > 0);
            }
            long t0 = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.exec("while True: pass"));
            assertTrue(e.getMessage(), e.getMessage().contains("was killed by signal 24 (SIGXCPU): the CPU limit of 1000 ms was reached"));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
        }
    }

    @Test
    public void theSandboxRefusesEveryWayToANewProcess() throws Exception {
        java.nio.file.Path marker = java.nio.file.Files.createTempDirectory("pyhost-sandbox").resolve("ran");
        try (ProcessContext ctx = Children.open()) {
            ctx.exec("import os, subprocess, ctypes, resource");
            for (String code : List.of("os.fork()", "os.execv('/bin/true', ['true'])", "os.posix_spawn('/bin/true', ['true'], {})",
                    "subprocess.run(['/bin/true'])")) {
                assertEquals(code, "PermissionError",
                        assertThrows(PyException.class, () -> ctx.eval(code, Map.of("m", marker.toString()))).pythonType());
            }
            // libc's system(3) reports a shell that could not be started as exit status 127; no command ran
            assertEquals(127L << 8, ctx.eval("os.system('touch ' + m)", Map.of("m", marker.toString())));
            assertEquals(127L << 8, ctx.eval("ctypes.CDLL(None).system(('touch ' + m).encode())", Map.of("m", marker.toString())));
            assertFalse(java.nio.file.Files.exists(marker));
            assertEquals("ValueError", assertThrows(PyException.class,
                    () -> ctx.exec("resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))")).pythonType());
            assertEquals(256L, ctx.eval("resource.getrlimit(resource.RLIMIT_NOFILE)[0]"));
            assertEquals("ok", ctx.eval("(lambda t: (t.start(), t.join(), 'ok')[2])(__import__('threading').Thread(target=int))"));
        }
        try (ProcessContext open = Children.open(ContextOptions.mode("process").withSandbox(false))) {
            assertEquals(0L, open.eval("__import__('os').system('touch ' + m)", Map.of("m", marker.toString())));
            assertTrue(java.nio.file.Files.exists(marker));
        }
    }

    @Test
    public void outputLinesReachTheSinks() {
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        List<String> err = Collections.synchronizedList(new ArrayList<>());
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withOutput(out::add, err::add))) {
            ctx.exec("import sys\nprint('one')\nprint('two', end='')\nprint('bad', file=sys.stderr)");
            assertEquals(List.of("one", "two"), out);
            assertEquals(List.of("bad"), err);
        }
    }

    @Test
    public void closeIsIdempotentAndLaterCallsSayWhy() {
        ProcessContext ctx = Children.open();
        long pid = ctx.pid();
        ctx.close("testing");
        ctx.close();
        assertEquals("context " + ctx.id() + " (process) is closed: testing", assertThrows(IllegalStateException.class, () -> ctx.eval("1")).getMessage());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    public void badArgumentsAreRefusedBeforeAnythingIsSent() {
        try (ProcessContext ctx = Children.open()) {
            assertEquals("expression contains a NUL character", assertThrows(IllegalArgumentException.class, () -> ctx.eval("1\0")).getMessage());
            assertEquals("code is null", assertThrows(IllegalArgumentException.class, () -> ctx.exec(null)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> ctx.eval("x", Map.of("x", new Object())));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> ctx.eval("x", Map.of("x", java.lang.foreign.Arena.global().allocate(8))))
                    .getMessage().startsWith("mode 'process' cannot lend a MemorySegment to Python"));
            assertEquals(1L, ctx.eval("1"));
        }
    }

    @Test
    public void handlesAreTheChildsObjectsUntilClosed() {
        try (ProcessContext ctx = Children.open(); ProcessContext other = Children.open()) {
            ctx.exec("class Box:\n    def __init__(self):\n        self.items = []\n    def add(self, x):\n        self.items.append(x)\n        return len(self.items)\n"
                    + "def gen(n):\n    try:\n        yield from range(n)\n    finally:\n        global CLOSED\n        CLOSED = True\nCLOSED = False");
            var box = ctx.evalObject("Box()");
            assertEquals("Box", box.type());
            assertEquals(1L, box.callMethod("add", "a"));
            assertEquals(2L, box.callMethod("add", box)); // a handle in the arguments is the very object
            assertEquals(true, ctx.eval("b.items[1] is b", Map.of("b", box)));
            var items = box.getAttr("items");
            assertEquals("list", items.type());
            box.setAttr("label", "x");
            assertEquals("x", ctx.eval("b.label", Map.of("b", box)));
            assertEquals(3L, ctx.evalObject("len").call(List.of(1, 2, 3)));
            var it = ctx.evalObject("gen(1000000)").iterator();
            assertEquals(0L, it.next());
            assertEquals(1L, it.next());
            assertEquals(4950L, ctx.evalObject("gen(100)").stream().mapToLong(v -> (Long) v).sum());
            var lazy = ctx.evalObject("gen(10)").stream();
            assertEquals(0L, lazy.findFirst().orElseThrow());
            lazy.close();
            assertEquals(true, ctx.eval("CLOSED"));
            var failing = ctx.evalObject("(1 // (2 - i) for i in range(5))").iterator();
            assertEquals(0L, failing.next());
            assertEquals(1L, failing.next());
            assertEquals("ZeroDivisionError", assertThrows(PyException.class, failing::hasNext).pythonType());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> other.eval("b", Map.of("b", box))).getMessage()
                    .contains("cannot be used in " + other));
            assertTrue(assertThrows(UnsupportedOperationException.class, box::buffer).getMessage().contains("child process"));
            box.close();
            box.close();
            assertThrows(IllegalStateException.class, box::type);
            assertEquals("this PyObject of " + ctx + " was closed",
                    assertThrows(IllegalStateException.class, () -> ctx.eval("b", Map.of("b", box))).getMessage());
            ctx.exec("import gc, weakref\nclass T: pass\nt = T()\nREF = weakref.ref(t)\nHELD = t\ndel t");
            var held = ctx.evalObject("HELD");
            ctx.exec("del HELD");
            assertEquals(true, ctx.eval("REF() is not None"));
            held.close();
            assertEquals("closing the last handle frees the object in the child", true, ctx.eval("REF() is None"));
            var kept = ctx.evalObject("[1, 2]");
            ctx.close();
            assertThrows(IllegalStateException.class, () -> kept.callMethod("append", 3));
        }
    }
}
