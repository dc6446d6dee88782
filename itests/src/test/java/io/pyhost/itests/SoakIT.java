package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * Eight threads (half of them virtual) doing a random mix, across every mode, of: evals and calls
 * whose results are checked, Python exceptions, timeouts, interrupts, and contexts created and
 * closed. Runs {@code pyhost.soak.seconds} (default 45 s; CI bound 2 min). At the end: every
 * result was right, no interpreter or pyhost thread leaked, and heap and RSS grew less than
 * the stated bounds.
 */
@RunWith(PaxExam.class)
public class SoakIT extends PyhostTestSupport {
    private static final long SECONDS = Long.getLong("pyhost.soak.seconds", 45);
    /** Heap growth bound after a full GC: the code caches and pools are bounded well below this. */
    private static final long HEAP_BOUND = 64L << 20;
    /** RSS growth bound: CPython's arenas and malloc keep some of what they held; leaks grow without bound. */
    private static final long RSS_BOUND = 256L << 20;

    @Test
    public void aRandomMixOfEverythingKeepsEveryResultRightAndLeaksNothing() throws Exception {
        List<String> modes = modes();
        // warm up once per mode so that first-time imports do not count as growth
        for (String mode : modes) {
            try (PyContext ctx = create(mode)) {
                ctx.exec("import json, math, time");
            }
        }
        long interpreters = liveInterpreters();
        int interpThreads = threadsNamed("pyhost-interp-").size();
        long heapBefore = usedHeapAfterGc();
        long rssBefore = rss();

        AtomicLong checked = new AtomicLong();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        ExecutorService platform = Executors.newFixedThreadPool(4);
        ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            int worker = w;
            Runnable body = () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline) {
                    String mode = modes.get(random.nextInt(modes.size()));
                    try (PyContext ctx = factory.create(ContextOptions.mode(mode).withPreload("import json, math"))) {
                        int steps = 1 + random.nextInt(40);
                        for (int i = 0; i < steps; i++) {
                            step(ctx, random, worker, checked, wrong);
                        }
                    } catch (RuntimeException e) {
                        wrong.add(mode + ": unexpected " + e);
                    }
                }
            };
            workers.add((w % 2 == 0 ? platform : virtual).submit(body));
        }
        for (Future<?> f : workers) {
            f.get(SECONDS + 120, TimeUnit.SECONDS);
        }
        platform.shutdown();
        virtual.shutdown();
        assertTrue(platform.awaitTermination(30, TimeUnit.SECONDS));

        assertEquals("wrong results: " + wrong, List.of(), List.copyOf(wrong));
        assertTrue("too few checked results: " + checked.get(), checked.get() > 1000);
        assertEquals(interpreters, liveInterpreters());
        awaitCondition(() -> "pyhost-interp threads back to " + interpThreads + ": " + threadsNamed("pyhost-interp-"),
                () -> threadsNamed("pyhost-interp-").size() == interpThreads);
        long heapGrowth = usedHeapAfterGc() - heapBefore;
        long rssGrowth = rss() - rssBefore;
        System.out.printf("soak: %d checked results in %d s; heap %+d KiB, RSS %+d KiB%n", checked.get(), SECONDS,
                heapGrowth >> 10, rssGrowth >> 10);
        assertTrue("heap grew " + (heapGrowth >> 20) + " MiB", heapGrowth < HEAP_BOUND);
        assertTrue("RSS grew " + (rssGrowth >> 20) + " MiB", rssGrowth < RSS_BOUND);
    }

    private static void step(PyContext ctx, ThreadLocalRandom random, int worker, AtomicLong checked,
            ConcurrentLinkedQueue<String> wrong) {
        int n = random.nextInt(1_000_000);
        String where = ctx.mode() + "#" + ctx.id() + " (worker " + worker + ")";
        switch (random.nextInt(7)) {
            case 0 -> expect(where + " eval", (long) n * 3 + 1, ctx.eval("n * 3 + 1", Map.of("n", n)), checked, wrong);
            case 1 -> expect(where + " call", "[" + n + "]", ctx.call("json", "dumps", List.of(List.of(n)), null), checked, wrong);
            case 2 -> {
                ctx.exec("state = " + n);
                expect(where + " exec", (long) n, ctx.eval("state"), checked, wrong);
            }
            case 3 -> {
                try {
                    ctx.eval("1 // 0");
                    wrong.add(where + ": 1 // 0 returned");
                } catch (PyException e) {
                    expect(where + " raise", "ZeroDivisionError", e.pythonType(), checked, wrong);
                }
            }
            case 4 -> {
                try {
                    ctx.exec("while True: pass", Duration.ofMillis(20));
                    wrong.add(where + ": an endless loop returned");
                } catch (PyException e) {
                    expect(where + " timeout", "TimeoutError", e.pythonType(), checked, wrong);
                }
            }
            case 5 -> expect(where + " math", Math.sqrt(n), ctx.call("math", "sqrt", List.of((double) n), null), checked, wrong);
            default -> expect(where + " str", "x" + n, ctx.eval("'x' + str(n)", Map.of("n", n)), checked, wrong);
        }
    }

    private static void expect(String what, Object expected, Object actual, AtomicLong checked, ConcurrentLinkedQueue<String> wrong) {
        if (expected.equals(actual)) {
            checked.incrementAndGet();
        } else {
            wrong.add(what + ": expected " + expected + " but got " + actual);
        }
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static long rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
