package io.pyhost.strategy.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyException;

/**
 * A hostile plugin author against the process mode's channel: upcalls, re-entry, handles, async
 * tasks and interrupts raced against each other and against close(). The host must survive its guests.
 */
public class ProcessAdversaryTest {

    private static void await(String what, long seconds, BooleanSupplier condition) {
        await(() -> what, seconds, condition);
    }

    private static void await(java.util.function.Supplier<String> what, long seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + seconds + " s: " + what.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static String head(String message) {
        return message.length() <= 400 ? message : message.substring(0, 400) + "... (" + message.length() + " chars)";
    }

    private static void awaitBusy(ProcessContext ctx) {
        await("the context runs a call", 10, () -> ctx.info("t").busy());
    }

    @Test
    public void cancellingAnAsyncCallThatWaitsForItsTurnLeavesTheRunningCallAlone() throws Exception {
        try (ProcessContext ctx = Children.open()) {
            CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> ctx.eval("__import__('time').sleep(1) or 'done'"));
            awaitBusy(ctx);
            CompletableFuture<Object> queued = ctx.evalAsync("1"); // behind the running call: no task id yet
            assertTrue(queued.cancel(true));
            assertEquals("another caller's call is not interrupted", "done", running.get(10, TimeUnit.SECONDS));
            assertEquals(2L, ctx.eval("1+1"));
        }
    }

    @Test
    public void aStageOfAnAsyncFutureMayCallTheContext() throws Exception {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(5)))) {
            ctx.exec("import asyncio\nasync def later(x):\n    await asyncio.sleep(0.05)\n    return x");
            CompletableFuture<Object> chained = ctx.callAsync(null, "later", List.of(20), null)
                    .thenApply(v -> ctx.eval("v + 1", Map.of("v", v)));
            assertEquals(21L, chained.get(10, TimeUnit.SECONDS));
            assertEquals(2L, ctx.eval("1+1"));
        }
    }

    @Test
    public void handlesJavaDropsWithoutClosingAreFreedInTheChild() {
        try (ProcessContext ctx = Children.open()) {
            for (int i = 0; i < 2000; i++) {
                ctx.evalObject("object()"); // never closed, dropped
            }
            long[] size = {Long.MAX_VALUE};
            await(() -> "the child's handle table shrinks (is " + size[0] + ")", 30, () -> {
                System.gc();
                size[0] = (Long) ctx.eval("len(__import__('__main__')._handles)");
                return size[0] < 100;
            });
        }
    }

    @Test
    public void anUpcallThatEndsAfterCloseGivesBackWhatItLent() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FakeJava java = new FakeJava().with("slow", (args, kwargs) -> {
            entered.countDown();
            while (true) { // deaf to interrupts, as Java code may be
                try {
                    release.await();
                    break;
                } catch (InterruptedException ignored) {
                    // again
                }
            }
            return new StringBuilder("lent"); // no value of the table: lent by reference
        });
        ProcessContext ctx = Children.open(ContextOptions.mode("process"), java);
        CompletableFuture<Object> call = ctx.evalAsync("__import__('pyhost').call('slow')");
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        ctx.close();
        assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
        release.countDown();
        await(() -> "the object lent after close is given back (" + java.outstanding() + " outstanding)", 10,
                () -> java.lentCount.get() == 1 && java.outstanding() == 0);
    }

    private static FakeJava echoing() {
        return new FakeJava().with("echo", (args, kwargs) -> args.get(0));
    }

    @Test
    public void pythonThreadsStormJavaWhileRequestsRunAndTheContextCloses() throws Exception {
        try (ProcessContext bystander = Children.open()) {
            ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(10)), echoing());
            ctx.exec("""
                    import pyhost, threading
                    WRONG = []
                    DONE = [0]
                    def storm(k):
                        i = 0
                        while True:
                            try:
                                v = pyhost.call('echo', [k, i])
                            except BaseException:
                                return
                            if v != [k, i]:
                                WRONG.append((k, i, v))
                            DONE[0] += 1
                            i += 1
                    for k in range(8):
                        threading.Thread(target=storm, args=(k,), daemon=True).start()
                    """);
            for (int i = 0; i < 200; i++) {
                assertEquals(List.of((long) i, "x"), ctx.eval("pyhost.call('echo', [i, 'x'])", Map.of("i", i)));
            }
            await("the threads' calls go on", 10, () -> (Long) ctx.eval("DONE[0]") > 500);
            assertEquals(List.of(), ctx.eval("WRONG"));
            long pid = ctx.pid();
            long t0 = System.nanoTime();
            ctx.close();
            assertTrue("close took " + (System.nanoTime() - t0) / 1_000_000 + " ms", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(7));
            assertTrue(assertThrows(IllegalStateException.class, () -> ctx.eval("1")).getMessage().contains("it was closed"));
            assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
            assertEquals(2L, bystander.eval("1+1"));
        }
    }

    @Test
    public void interruptAndTimeoutReachACallThatWaitsInJava() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        FakeJava java = echoing().with("sleep", (args, kwargs) -> {
            entered.countDown();
            Thread.sleep(60_000); // honours interrupts
            return null;
        }).with("deaf", (args, kwargs) -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < end) {
                Thread.onSpinWait(); // ignores interrupts
            }
            return null;
        });
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process"), java); ProcessContext bystander = Children.open()) {
            CompletableFuture<Object> waiting = ctx.evalAsync("__import__('pyhost').call('sleep')");
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            assertTrue(ctx.interrupt());
            PyException e = (PyException) assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS)).getCause();
            assertTrue(e.pythonType(), e.pythonType().equals("KeyboardInterrupt") || e.pythonType().equals("JavaError"));
            assertEquals(List.of(1L), ctx.eval("__import__('pyhost').call('echo', [1])"));
            long t0 = System.nanoTime();
            PyException late = assertThrows(PyException.class, () -> ctx.eval("__import__('pyhost').call('deaf')", null, Duration.ofMillis(300)));
            assertTrue(late.isTimeout());
            assertTrue("released at its deadline", System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(2000));
            // the child waits for Java that never answers: past the grace it is killed, the caller hears why
            IllegalStateException gone = assertThrows(IllegalStateException.class, () -> ctx.eval("1", null, Duration.ofSeconds(10)));
            assertTrue(gone.getMessage(), gone.getMessage().contains("did not stop within"));
            assertEquals(2L, bystander.eval("1+1"));
        }
    }

    @Test
    public void reentryGoesDeepAndEveryLevelsExceptionComesBack() {
        ProcessContext[] self = new ProcessContext[1];
        FakeJava java = new FakeJava().with("down", (args, kwargs) -> self[0].call(null, "f", List.of(args.get(0)), null));
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(20)), java)) {
            self[0] = ctx;
            ctx.exec("""
                    import pyhost
                    def f(n):
                        if n == 0:
                            raise ValueError('bottom')
                        try:
                            return pyhost.call('down', n - 1)
                        except pyhost.JavaError as e:
                            raise RuntimeError('level %d' % n) from e
                    def g(n):
                        return n if n == 0 else pyhost.call('down2', n - 1) + 1
                    """);
            PyException e = assertThrows(PyException.class, () -> ctx.call(null, "f", List.of(25), null));
            assertEquals("RuntimeError", e.pythonType());
            assertEquals("level 25", e.pythonMessage());
            assertTrue(e.pythonTraceback(), e.pythonTraceback().contains("RuntimeError: level 24"));
            PyException one = assertThrows(PyException.class, () -> ctx.call(null, "f", List.of(1), null));
            assertTrue(one.pythonTraceback(), one.pythonTraceback().contains("ValueError: bottom"));
            java.with("down2", (args, kwargs) -> ctx.call(null, "g", List.of(args.get(0)), null));
            assertEquals(40L, ctx.call(null, "g", List.of(40), null));
            // so deep that Python's recursion limit ends it: a clear error, and the channel still in step
            PyException deep = assertThrows(PyException.class, () -> ctx.call(null, "g", List.of(100_000), null));
            assertTrue(deep.pythonType(), deep.pythonType().equals("RecursionError") || deep.pythonType().equals("JavaError"));
            assertEquals(3L, ctx.call(null, "g", List.of(3), null));
            assertEquals(2L, ctx.eval("1+1"));
        }
    }

    @Test
    public void javaThatCallsTheContextFromAnotherThreadIsBoundedByTimeouts() throws Exception {
        ProcessContext[] self = new ProcessContext[1];
        FakeJava java = new FakeJava().with("elsewhere",
                (args, kwargs) -> CompletableFuture.supplyAsync(() -> self[0].eval("1")).get());
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofMillis(700)), java)) {
            self[0] = ctx;
            long t0 = System.nanoTime();
            assertThrows(PyException.class, () -> ctx.eval("__import__('pyhost').call('elsewhere')"));
            assertTrue("released near its deadline", System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(2500));
            await("the context answers again", 10, () -> {
                try {
                    return Long.valueOf(5L).equals(ctx.eval("2+3"));
                } catch (PyException busy) {
                    return false; // still ending the interrupted call
                }
            });
        }
    }

    @Test
    public void junkOnTheChannelOrItsFdsClosedEndOnlyThatContext() {
        try (ProcessContext bystander = Children.open()) {
            for (String code : List.of("import os\nos.write(4, b'\\x00\\x00\\x00\\x05junk')", "import os\nos.close(3)\nos.close(4)")) {
                ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(5)));
                assertEquals("the channel's ends", List.of("pipe", "pipe"),
                        ctx.eval("[__import__('os').readlink('/proc/self/fd/%d' % fd)[:4] for fd in (3, 4)]"));
                long t0 = System.nanoTime();
                RuntimeException e = assertThrows(RuntimeException.class, () -> ctx.exec(code));
                assertTrue(code + ": " + e, e instanceof IllegalStateException || e instanceof PyException p && p.isTimeout());
                await(code + ": closed", 10, ctx::isClosed);
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
                ctx.close();
                assertEquals(2L, bystander.eval("1+1"));
            }
        }
    }

    @Test
    public void asyncStormWithCancelsAndACloseLeavesNoFutureHanging() throws Exception {
        try (ProcessContext bystander = Children.open()) {
            ProcessContext ctx = Children.open();
            ctx.exec("import asyncio\nasync def later(i, t):\n    await asyncio.sleep(t)\n    return i");
            List<CompletableFuture<Object>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                CompletableFuture<Object> f = ctx.callAsync(null, "later", List.of(i, 0.001 * (i % 20)), null);
                futures.add(f);
                if (i % 3 == 0) {
                    f.cancel(true);
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                CompletableFuture<Object> f = futures.get(i);
                try {
                    assertEquals((long) i, f.get(30, TimeUnit.SECONDS));
                } catch (java.util.concurrent.CancellationException cancelled) {
                    assertTrue(i % 3 == 0);
                }
            }
            assertEquals(2L, ctx.eval("1+1"));
            ctx.exec("STARTED = [0]\nasync def forever():\n    STARTED[0] += 1\n    await asyncio.sleep(3600)");
            List<CompletableFuture<Object>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pending.add(ctx.callAsync(null, "forever", null, null));
            }
            await("the tasks started", 20, () -> (Long) ctx.eval("STARTED[0]") >= 200);
            ctx.close();
            for (CompletableFuture<Object> f : pending) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof IllegalStateException);
            }
            assertEquals(2L, bystander.eval("1+1"));
        }
    }

    @Test
    public void javaObjectsLentPerCallAreGivenBackAndUnlendableOnesRefused() {
        FakeJava java = echoing().with("make", (args, kwargs) -> new StringBuilder("made"));
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process"), java)) {
            ctx.exec("import pyhost\nKEPT = []");
            for (int i = 0; i < 2000; i++) {
                StringBuilder sb = new StringBuilder("v" + i);
                assertEquals("v" + i + "!", ctx.eval("s.toString() + '!'", Map.of("s", sb)));
                assertEquals("made", ctx.eval("pyhost.call('make').toString()"));
            }
            assertTrue("outstanding " + java.outstanding(), java.outstanding() <= 2);
            StringBuilder kept = new StringBuilder("kept");
            ctx.eval("KEPT.append(s)", Map.of("s", kept));
            assertEquals(kept, ctx.eval("KEPT[0]")); // handed back: the very object
            assertTrue(kept == ctx.eval("pyhost.call('echo', KEPT[0])"));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> ctx.eval("t", Map.of("t", Thread.currentThread())));
            assertTrue(refused.getMessage(), refused.getMessage().contains("never lends"));
            java.with("thread", (args, kwargs) -> Thread.currentThread());
            PyException e = assertThrows(PyException.class, () -> ctx.eval("pyhost.call('thread')"));
            assertEquals("TypeError", e.pythonType());
            assertTrue(e.pythonMessage(), e.pythonMessage().contains("never lends"));
            assertEquals(2L, ctx.eval("1+1"));
            ctx.exec("KEPT.clear()");
            await(() -> "all given back (" + java.outstanding() + ")", 10, () -> {
                ctx.eval("1");
                return java.outstanding() == 0;
            });
        }
    }

    @Test
    public void aJavaObjectWhoseReferenceWasGivenBackIsAClearErrorNotAChannelFailure() {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process"), echoing())) {
            ctx.exec("import pyhost, __main__\nFORGED = __main__._make_java_object(987654, 'Java nothing', ['x'])");
            PyException e = assertThrows(PyException.class, () -> ctx.eval("pyhost.call('echo', FORGED)"));
            assertTrue(e.getMessage(), e.getMessage().contains("no longer lent"));
            IllegalArgumentException back = assertThrows(IllegalArgumentException.class, () -> ctx.eval("FORGED"));
            assertTrue(back.getMessage(), back.getMessage().contains("no longer lent"));
            assertEquals(2L, ctx.eval("1+1"));
            assertTrue(!ctx.isClosed());
        }
    }

    @Test
    public void aRequestTooBigForTheChildsMemoryLimitIsAMemoryErrorAndTheContextGoesOn() {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withMemoryLimit(64L << 20))) {
            // the child is about 32 MiB of address space: 60 MiB more do not fit
            PyException e = assertThrows(PyException.class, () -> ctx.eval("len(x)", Map.of("x", new byte[60 << 20])));
            assertEquals("MemoryError", e.pythonType());
            assertTrue(e.isResourceExhausted());
            assertEquals(2L, ctx.eval("1+1"));
        }
    }

    @Test
    public void closingHandlesWhileTheChildReadsNothingNeverBlocksAndCloseStaysBounded() throws Exception {
        ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(120)));
        try {
            // more handles than the child's 1 MiB pipe holds drop frames for (27 bytes each)
            List<io.pyhost.api.PyObject> handles = new java.util.ArrayList<>();
            for (int i = 0; i < 50_000; i++) {
                handles.add(ctx.evalObject("object()"));
            }
            // Python that reads nothing from the channel and shrugs off every interrupt
            CompletableFuture<Void> stubborn = CompletableFuture.runAsync(
                    () -> ctx.exec("import time\nwhile True:\n    try:\n        time.sleep(60)\n    except KeyboardInterrupt:\n        pass"));
            awaitBusy(ctx);
            CompletableFuture.runAsync(() -> handles.forEach(io.pyhost.api.PyObject::close)).get(30, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            CompletableFuture.runAsync(ctx::close).get(30, TimeUnit.SECONDS); // close timeout 5 s, then the child is killed
            assertTrue("close took " + (System.nanoTime() - t0) / 1_000_000 + " ms", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15));
            Throwable ended = assertThrows(ExecutionException.class, () -> stubborn.get(10, TimeUnit.SECONDS)).getCause();
            assertTrue(ended.toString(), ended instanceof IllegalStateException);
        } finally {
            ctx.close();
        }
    }

    @Test
    public void aResultThatFailsToConvertFailsItsCallAndTheContextGoesOn() throws Exception {
        try (ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(10)))) {
            ctx.exec("""
                    class Liar(list):
                        def __len__(self):
                            return 0
                    class NoStr:
                        def __str__(self):
                            raise RuntimeError('no str for you')
                    class Grows(dict):
                        def items(self):
                            for k in list(dict.keys(self)):
                                yield k, self[k]
                            yield 'extra', 1
                    async def later():
                        return NoStr()
                    """);
            // a container whose len() lies, or that changes while it is encoded: the items as iterated
            assertEquals(List.of(1L, 2L, 3L), ctx.eval("Liar([1, 2, 3])"));
            assertEquals(Map.of("a", 1L, "extra", 1L), ctx.eval("Grows(a=1)"));
            assertEquals(2L, ctx.eval("1+1"));
            // str() of a value raises: the call fails with that exception
            PyException e = assertThrows(PyException.class, () -> ctx.eval("NoStr()"));
            assertEquals("RuntimeError", e.pythonType());
            assertEquals(2L, ctx.eval("1+1"));
            PyException nested = assertThrows(PyException.class, () -> ctx.eval("{'k': [NoStr()]}"));
            assertEquals("RuntimeError", nested.pythonType());
            Throwable async = assertThrows(ExecutionException.class, () -> ctx.callAsync(null, "later", null, null).get(10, TimeUnit.SECONDS))
                    .getCause();
            assertTrue(async.toString(), async instanceof PyException p && p.pythonType().equals("RuntimeError"));
            assertEquals(2L, ctx.eval("1+1"));
            assertTrue(!ctx.isClosed());
        }
    }

    @Test
    public void userCodeThatReplacesOrBreaksSysStdoutLeavesTheContextUsable() {
        for (boolean withJava : new boolean[] {false, true}) {
            try (ProcessContext ctx = withJava ? Children.open(ContextOptions.mode("process"), echoing()) : Children.open()) {
                ctx.exec("import sys\nsys.stdout = None");
                assertEquals(2L, ctx.eval("1+1"));
                ctx.exec("""
                        import sys
                        class Broken:
                            def write(self, s):
                                raise OSError('disk full')
                            def flush(self):
                                raise OSError('disk full')
                        sys.stdout = Broken()
                        sys.stderr = Broken()
                        """);
                assertEquals(2L, ctx.eval("1+1"));
                assertTrue(withJava + "", !ctx.isClosed());
            }
        }
    }

    @Test
    public void aChildThatFloodsItsStderrWithoutNewlinesCostsTheJvmABoundedTail() {
        ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(30)));
        try {
            // 64 MiB in one line on fd 2, then the child dies: its last words name the end, a bounded part of them
            assertThrows(IllegalStateException.class, () -> ctx.exec("""
                    import os, time
                    chunk = b'x' * (1 << 20)
                    for _ in range(64):
                        os.write(2, chunk)
                    os.write(2, b'\\nlast words\\n')
                    time.sleep(1)
                    os._exit(3)
                    """));
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> ctx.eval("1"));
            assertTrue(head(closed.getMessage()), closed.getMessage().contains("exited with status 3"));
            assertTrue(head(closed.getMessage()), closed.getMessage().contains("more bytes of this line dropped) | last words"));
            assertTrue("the closed message is " + closed.getMessage().length() + " chars", closed.getMessage().length() < 20_000);
        } finally {
            ctx.close();
        }
    }

    @Test
    public void aBigRequestToAChildThatReadsNothingReleasesItsCallerAtTheDeadline() throws Exception {
        try (ProcessContext bystander = Children.open()) {
            ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(30)));
            try {
                // between requests the child's main thread is caught in a signal handler that sleeps: it reads nothing
                ctx.exec("""
                        import signal, threading, time, os
                        signal.signal(signal.SIGUSR1, lambda *a: time.sleep(20))
                        threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGUSR1)).start()
                        """);
                Thread.sleep(600);
                long t0 = System.nanoTime();
                RuntimeException e = assertThrows(RuntimeException.class,
                        () -> ctx.eval("len(x)", Map.of("x", new byte[16 << 20]), Duration.ofMillis(500)));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(e.toString(), e instanceof PyException p && p.isTimeout());
                assertTrue("released after " + took + " ms", took < 1500);
                await("the context is closed (killed past the grace)", 10, ctx::isClosed);
                assertEquals(2L, bystander.eval("1+1"));
            } finally {
                long t0 = System.nanoTime();
                ctx.close();
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
            }
        }
    }

    @Test
    public void closeFromWithinAnUpcallIsBoundedAndEndsTheCall() throws Exception {
        ProcessContext[] self = new ProcessContext[1];
        FakeJava java = new FakeJava().with("closeme", (args, kwargs) -> {
            self[0].close();
            return "closed";
        });
        ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofSeconds(20)), java);
        self[0] = ctx;
        long pid = ctx.pid();
        long t0 = System.nanoTime();
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> ctx.exec("import pyhost\nwhile True:\n    try:\n        pyhost.call('closeme')\n    except BaseException:\n        pass"));
        assertTrue(e.toString(), e instanceof IllegalStateException);
        assertTrue("took " + (System.nanoTime() - t0) / 1_000_000 + " ms", System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(12));
        await("the child is gone", 10, () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    public void signalsBlockedOrIgnoredByUserCodeStillKeepDeadlinesAndClose() throws Exception {
        try (ProcessContext bystander = Children.open()) {
            for (String code : List.of("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})\nwhile True: pass",
                    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: pass")) {
                ProcessContext ctx = Children.open(ContextOptions.mode("process").withCallTimeout(Duration.ofMillis(300)));
                long t0 = System.nanoTime();
                PyException e = assertThrows(PyException.class, () -> ctx.exec(code));
                assertTrue(e.isTimeout());
                assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500));
                await(code + ": killed past the grace", 10, ctx::isClosed);
                ctx.close();
                assertEquals(2L, bystander.eval("1+1"));
            }
        }
    }

    @Test
    public void aProcessStartedByUnsandboxedUserCodeEndsWithItsContext() throws Exception {
        ProcessContext ctx = Children.open(ContextOptions.mode("process").withSandbox(false));
        long grandchild;
        try {
            grandchild = (Long) ctx.eval("__import__('subprocess').Popen(['sleep', '60']).pid");
            assertTrue(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false));
        } finally {
            ctx.close();
        }
        await("the process the context started ends with it", 10, () -> ProcessHandle.of(grandchild).map(h -> !h.isAlive()).orElse(true));
        await("no thread of the context is left", 10, () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("pyhost-process-" + ctx.id() + "-")));
    }

    @Test
    public void anOutputSinkThatCallsItsOwnContextGetsAClearErrorNotADeadlock() throws Exception {
        var self = new java.util.concurrent.atomic.AtomicReference<ProcessContext>();
        var seen = new java.util.concurrent.CopyOnWriteArrayList<Object>();
        ContextOptions options = ContextOptions.mode("process").withOutput(line -> {
            try {
                seen.add(self.get().eval("1 + 1"));
            } catch (RuntimeException e) {
                seen.add(e);
            }
        });
        try (ProcessContext ctx = Children.open(options)) { // no call timeout: a deadlock would hang for good
            self.set(ctx);
            CompletableFuture.runAsync(() -> ctx.exec("print('hello')")).get(20, TimeUnit.SECONDS);
            assertEquals(1, seen.size());
            assertTrue(String.valueOf(seen.get(0)), seen.get(0) instanceof IllegalStateException e
                    && e.getMessage().contains("output sink or log handler") && e.getMessage().contains("would deadlock"));
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }
}
