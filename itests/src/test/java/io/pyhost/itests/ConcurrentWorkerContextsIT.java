package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;

/**
 * DESIGN.md "Threads": any Java thread may call a worker context, virtual threads included;
 * calls on one context are serialized; contexts used from different threads do not deadlock
 * each other. 8 threads (4 platform, 4 virtual) make 1,000 evals each on 4 worker contexts,
 * two threads (one of each kind) per context, and every single result is checked.
 */
@RunWith(PaxExam.class)
public class ConcurrentWorkerContextsIT extends PyhostTestSupport {

    static final int CONTEXTS = 4;
    static final int THREADS = 8;
    static final int EVALS = 1_000;
    static final Duration BOUND = Duration.ofSeconds(60);

    @Test
    public void eightThreadsHalfOfThemVirtualGetEveryResultRightFromFourWorkerContexts() throws InterruptedException {
        List<PyContext> contexts = new ArrayList<>();
        for (int k = 0; k < CONTEXTS; k++) {
            // K lives in the context's own globals: a result from the wrong context shows. count()
            // is defined by the context's own preload, so its globals are the context's.
            contexts.add(create(ContextOptions.mode(ContextFactory.WORKER).withPreload("K = " + k + "\nCALLS = 0\n"
                    + "def count():\n    global CALLS\n    seen = CALLS\n    CALLS = seen + 1\n    return CALLS\n")));
        }

        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicLong checked = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int k = t % CONTEXTS;
            PyContext ctx = contexts.get(k);
            boolean virtual = t >= THREADS / 2;
            String name = (virtual ? "virtual-" : "platform-") + t;
            Runnable hammer = () -> {
                try {
                    start.await();
                    for (int i = 0; i < EVALS; i++) {
                        Object result = ctx.eval("i * 2 + K", Map.of("i", i));
                        if (!Long.valueOf(i * 2L + k).equals(result)) {
                            wrong.add(name + ": i=" + i + " on context " + k + " gave " + result);
                        }
                        checked.incrementAndGet();
                    }
                    // serialized calls: this thread's read-modify-write is never lost, checked below
                    for (int i = 0; i < 50; i++) {
                        ctx.call(null, "count", null, null);
                    }
                } catch (Throwable e) {
                    wrong.add(name + " failed: " + e);
                }
            };
            threads.add(virtual ? Thread.ofVirtual().name(name).unstarted(hammer)
                    : Thread.ofPlatform().name(name).daemon().unstarted(hammer));
        }
        threads.forEach(Thread::start);
        start.countDown();

        long deadline = System.nanoTime() + BOUND.toNanos();
        for (Thread thread : threads) {
            long left = Math.max(1, deadline - System.nanoTime());
            if (!thread.join(Duration.ofNanos(left))) {
                fail("not done within " + BOUND.toSeconds() + " s (deadlock?): " + thread.getName() + " still running after "
                        + checked.get() + " checked results; " + thread.getName() + " is at " + List.of(thread.getStackTrace()));
            }
        }

        assertTrue("wrong results (first 20): " + wrong.stream().limit(20).toList(), wrong.isEmpty());
        assertEquals(THREADS * (long) EVALS, checked.get());
        for (int k = 0; k < CONTEXTS; k++) {
            assertEquals("two threads made 50 calls each on context " + k + ", one at a time",
                    100L, contexts.get(k).eval("CALLS"));
            assertEquals("the locals of 2,000 evals stayed out of the globals", false, contexts.get(k).eval("'i' in globals()"));
        }
        for (PyContext ctx : contexts) {
            ctx.close();
        }
    }
}
