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
}
