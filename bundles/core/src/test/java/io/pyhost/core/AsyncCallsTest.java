package io.pyhost.core;

import static org.junit.Assert.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/** evalAsync/callAsync (issue 13, item 3), in every mode, on real CPython. */
public class AsyncCallsTest extends EngineTest {

    private PyContext open(String mode) {
        return EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false));
    }

    @Test
    public void plainValuesAndCoroutinesComplete() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(mode)) {
                context.exec("""
                        import asyncio
                        async def double(x):
                            await asyncio.sleep(0.01)
                            return x * 2
                        async def fail():
                            raise ValueError('async boom')
                        """);
                assertEquals(mode, 3L, context.evalAsync("1 + 2").get(10, TimeUnit.SECONDS));
                assertEquals(mode, 42L, context.callAsync(null, "double", List.of(21), null).get(10, TimeUnit.SECONDS));
                assertEquals(mode, 8L, context.evalAsync("double(4)").get(10, TimeUnit.SECONDS));
                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> context.callAsync(null, "fail", null, null).get(10, TimeUnit.SECONDS));
                assertTrue(mode + ": " + failed.getCause(), failed.getCause() instanceof PyException);
                assertEquals("ValueError", ((PyException) failed.getCause()).pythonType());
                ExecutionException syntax = assertThrows(ExecutionException.class, () -> context.evalAsync("1 +").get(10, TimeUnit.SECONDS));
                assertEquals("SyntaxError", ((PyException) syntax.getCause()).pythonType());
            }
        }
    }

    /** 1,000 coroutines each sleeping 50 ms run as concurrent tasks: well under a second, not 50 s. */
    @Test
    public void aThousandSleepingCoroutinesRunConcurrently() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(mode)) {
                context.exec("import asyncio\nasync def nap(i):\n    await asyncio.sleep(0.05)\n    return i");
                long start = System.nanoTime();
                List<CompletableFuture<Object>> futures = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    futures.add(context.callAsync(null, "nap", List.of(i), null));
                }
                long sum = 0;
                for (CompletableFuture<Object> f : futures) {
                    sum += (Long) f.get(30, TimeUnit.SECONDS);
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertEquals(mode, 499_500L, sum);
                assertTrue(mode + ": 1,000 concurrent 50 ms sleeps took " + millis + " ms", millis < 10_000);
                // the context's synchronous calls went on meanwhile and still do
                assertEquals(mode, 2L, context.eval("1 + 1"));
            }
        }
    }

    @Test
    public void synchronousCallsInterleaveWithPendingTasks() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(mode)) {
                context.exec("""
                        import asyncio
                        gate = None
                        async def wait_for_gate():
                            global gate
                            gate = asyncio.get_running_loop().create_future()
                            return await gate
                        """);
                CompletableFuture<Object> waiting = context.callAsync(null, "wait_for_gate", null, null);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (context.eval("gate is None").equals(true) && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertFalse(mode, waiting.isDone());
                context.exec("gate.set_result('opened by a synchronous call')"); // runs between slices
                assertEquals(mode, "opened by a synchronous call", waiting.get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    public void cancellingCancelsTheTaskOrInterruptsTheCall() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = open(mode)) {
                context.exec("""
                        import asyncio, time
                        state = {'cancelled': False}
                        async def forever():
                            try:
                                await asyncio.sleep(3600)
                            except asyncio.CancelledError:
                                state['cancelled'] = True
                                raise
                        def busy():
                            while True:
                                pass
                        """);
                CompletableFuture<Object> task = context.callAsync(null, "forever", null, null);
                Thread.sleep(100);
                assertTrue(task.cancel(true));
                assertThrows(CancellationException.class, task::join);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!Boolean.TRUE.equals(context.eval("state['cancelled']")) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(mode + ": the task saw CancelledError", true, context.eval("state['cancelled']"));
                CompletableFuture<Object> spinning = context.callAsync(null, "busy", null, null);
                Thread.sleep(200);
                spinning.cancel(true);
                // the synchronous call was interrupted: the context serves calls again
                assertEquals(mode, 2L, context.eval("1 + 1", null, Duration.ofSeconds(10)));
            }
        }
    }

    @Test
    public void closingTheContextFailsWhatIsPending() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            PyContext context = open(mode);
            context.exec("import asyncio\nasync def long():\n    await asyncio.sleep(3600)");
            CompletableFuture<Object> pending = context.callAsync(null, "long", null, null);
            Thread.sleep(100);
            context.close();
            ExecutionException gone = assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
            assertTrue(mode + ": " + gone.getCause(), gone.getCause() instanceof IllegalStateException);
            assertThrows(IllegalStateException.class, () -> context.evalAsync("1"));
        }
    }

    /** The default owngil context is sandboxed: asyncio still imports and its loop still runs there. */
    @Test
    public void coroutinesRunInASandboxedContext() throws Exception {
        try (PyContext context = EmbeddedPython.create(engine, "owngil")) {
            context.exec("import asyncio\nasync def later(x):\n    await asyncio.sleep(0.01)\n    return x");
            assertEquals("sandboxed", context.callAsync(null, "later", List.of("sandboxed"), null).get(20, TimeUnit.SECONDS));
        }
    }
}
