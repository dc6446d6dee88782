package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyObject;

/**
 * Python objects in Java (issue 13) through the published services, in real Felix and every mode:
 * handles keep identity and release their references, generators stream lazily and run their
 * {@code finally} when the stream closes, coroutines run concurrently and cancel, and each
 * context's output reaches its own sink whole.
 */
@RunWith(PaxExam.class)
public class PythonObjectsIT extends PyhostTestSupport {

    @Test
    public void handlesKeepIdentityCallMethodsAndGiveTheirReferencesBack() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                ctx.exec("""
                        import sys
                        class Account:
                            def __init__(self, owner): self.owner, self.balance = owner, 0
                            def deposit(self, amount): self.balance += amount; return self.balance
                        held = Account('ada')
                        def same(a, b): return a is b
                        def refs(): return sys.getrefcount(held)
                        """);
                long baseline = (Long) ctx.call(null, "refs", List.of(), null);
                List<PyObject> handles = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    handles.add(ctx.evalObject("held"));
                }
                assertEquals(mode + ": three handles, three references", baseline + 3, ctx.call(null, "refs", List.of(), null));
                PyObject account = handles.get(0);
                assertEquals("Account", account.type());
                assertEquals(25L, account.callMethod("deposit", 25));
                try (PyObject deposit = account.getAttr("deposit")) {
                    assertEquals(35L, deposit.call(10));
                }
                account.setAttr("owner", "grace");
                assertEquals("grace", ctx.eval("held.owner"));
                assertEquals(mode + ": a handle given back is the same object", true,
                        ctx.call(null, "same", List.of(handles.get(1), handles.get(2)), null));
                assertEquals(true, ctx.eval("h is held", Map.of("h", account)));
                PyException raised = assertThrows(PyException.class, () -> account.callMethod("deposit", "not a number"));
                assertEquals("TypeError", raised.pythonType());
                handles.forEach(PyObject::close);
                handles.get(0).close(); // idempotent
                assertEquals(mode + ": references back to the baseline after close", baseline, ctx.call(null, "refs", List.of(), null));
                assertThrows(IllegalStateException.class, account::type);
            }
        });
    }

    @Test
    public void closingAContextReleasesItsHandlesAndAHandleOfAnotherContextIsRefused() throws Exception {
        String marker = uniqueModuleName("weak");
        PyObject kept;
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            // worker contexts share the main interpreter, so another context can watch the object die
            ctx.exec("import sys, weakref\nclass Big: pass\nbig = Big()\nsetattr(sys, " + pyString(marker) + ", weakref.ref(big))");
            kept = ctx.evalObject("big");
            ctx.exec("del big");
            try (PyContext other = create(ContextFactory.WORKER)) {
                assertEquals("the handle keeps it alive", true, other.eval("getattr(__import__('sys'), " + pyString(marker) + ")() is not None"));
                IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> other.eval("x", Map.of("x", kept)));
                assertTrue(foreign.getMessage(), foreign.getMessage().contains("context " + ctx.id()));
            }
        }
        assertThrows(IllegalStateException.class, kept::type);
        try (PyContext watcher = create(ContextFactory.WORKER)) {
            assertEquals("closing the context released the handle", true,
                    watcher.eval("getattr(__import__('sys'), " + pyString(marker) + ")() is None"));
        }
    }

    @Test
    public void generatorsStreamLazilyAndClosingTheStreamRunsTheirFinally() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                ctx.exec("""
                        produced = 0
                        finished = False
                        def numbers(n):
                            global produced, finished
                            try:
                                for i in range(n):
                                    produced += 1
                                    yield i
                            finally:
                                finished = True
                        def failing():
                            yield 1
                            raise KeyError('mid-stream')
                        """);
                try (PyObject gen = ctx.evalObject("numbers(1_000_000)")) {
                    Iterator<Object> it = gen.iterator();
                    assertEquals(0L, it.next());
                    assertEquals(1L, it.next());
                    assertEquals(mode + ": one step per next()", 2L, ctx.eval("produced"));
                }
                try (PyObject gen = ctx.evalObject("numbers(1_000_000)")) {
                    long[] sum = {0};
                    assertEquals(mode, 1_000_000L, gen.stream().peek(v -> sum[0] += (Long) v).count());
                    assertEquals(499_999_500_000L, sum[0]);
                }
                ctx.exec("finished = False");
                try (PyObject gen = ctx.evalObject("numbers(1_000_000)"); Stream<Object> s = gen.stream()) {
                    assertEquals(List.of(0L, 1L, 2L), s.limit(3).toList());
                }
                assertEquals(mode + ": closing the stream closed the generator", true, ctx.eval("finished"));
                try (PyObject gen = ctx.evalObject("failing()")) {
                    Iterator<Object> it = gen.iterator();
                    assertEquals(1L, it.next());
                    PyException error = assertThrows(PyException.class, it::next);
                    assertEquals("KeyError", error.pythonType());
                }
                assertEquals(mode + ": the context answers after all that", 2L, ctx.eval("1 + 1"));
            }
        });
    }

    @Test
    public void coroutinesRunConcurrentlyOnTheContextsLoopAndCancel() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                ctx.exec("""
                        import asyncio
                        cancelled, started = [], []
                        async def nap(i):
                            await asyncio.sleep(0.05)
                            return i * 2
                        async def forever(tag):
                            started.append(tag)
                            try:
                                await asyncio.sleep(3600)
                            except asyncio.CancelledError:
                                cancelled.append(tag)
                                raise
                        """);
                List<CompletableFuture<Object>> naps = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    naps.add(ctx.callAsync(null, "nap", List.of(i), null));
                }
                // 1,000 x 50 ms one after the other would take 50 s: a bound of 20 s only fails when serialized
                CompletableFuture.allOf(naps.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
                long sum = 0;
                for (CompletableFuture<Object> f : naps) {
                    sum += (Long) f.join();
                }
                assertEquals(mode, 999_000L, sum);
                assertEquals(mode + ": a synchronous call between", 7L, ctx.eval("3 + 4"));

                CompletableFuture<Object> sleeping = ctx.callAsync(null, "forever", List.of("t1"), null);
                awaitCondition(() -> mode + ": the task to start", () -> List.of("t1").equals(ctx.eval("started")));
                assertTrue(sleeping.cancel(true));
                awaitCondition(() -> mode + ": the task saw CancelledError; cancelled: " + ctx.eval("cancelled"),
                        () -> List.of("t1").equals(ctx.eval("cancelled")));
                assertEquals(mode + ": an async value", 42L, join(ctx.evalAsync("6 * 7")));
            }
        });
    }

    @Test
    public void fourConcurrentContextsWriteWholeLinesToTheirOwnSinks() throws Exception {
        List<String> modes = modes();
        int contexts = 4;
        int lines = 300;
        List<List<String>> received = new ArrayList<>();
        List<PyContext> open = new ArrayList<>();
        try {
            for (int i = 0; i < contexts; i++) {
                List<String> sink = new CopyOnWriteArrayList<>();
                received.add(sink);
                open.add(create(ContextOptions.mode(modes.get(i % modes.size())).withOutput(sink::add)));
            }
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int i = 0; i < contexts; i++) {
                PyContext ctx = open.get(i);
                String tag = "ctx" + i;
                writers.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    ctx.exec("import sys\nfor n in range(" + lines + "):\n"
                            + "    print('" + tag + "', n, end='')\n"
                            + "    sys.stdout.write(' part')\n"
                            + "    print(' end')\n");
                }));
            }
            start.countDown();
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            for (int i = 0; i < contexts; i++) {
                List<String> expected = new ArrayList<>();
                for (int n = 0; n < lines; n++) {
                    expected.add("ctx" + i + " " + n + " part end");
                }
                assertEquals("context " + i + " (" + open.get(i).mode() + ") received its own whole lines in order",
                        expected, received.get(i));
            }
        } finally {
            open.forEach(PyContext::close);
        }
    }

    private static Object join(CompletableFuture<Object> future) {
        try {
            return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("the future failed", e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
