package io.pyhost.strategy.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyException;
import io.pyhost.spi.ContextRequest;

/** The warm pool ({@code warmPool = process=N}): children with the shared preload applied, handed to creations. */
public class ProcessPoolTest {
    private ProcessStrategy strategy;
    private final AtomicReference<List<Fragment>> preload = new AtomicReference<>(
            List.of(new Fragment("app.py", 0, "import os\nSTARTED_AS = os.getpid()\nprint('shared preload ran')\nVERSION = 1")));

    @Before
    public void setUp() {
        strategy = new ProcessStrategy((Path) null);
    }

    @After
    public void tearDown() {
        strategy.deactivate();
    }

    /** As core's template: default options, the current preload, id 0. */
    private ContextRequest template() {
        return Children.request(ContextOptions.mode("process"), List.of(), List.of(), preload.get());
    }

    private ContextRequest request(ContextOptions options) {
        return Children.request(options, List.of(), List.of(), preload.get());
    }

    @Test
    public void aCreationIsServedByAChildStartedBeforeIt() {
        strategy.warmPool(1, this::template);
        await(() -> strategy.pool().readyCount() == 1, "a child ready");
        long readyPid = strategy.pool().readyPids().get(0);

        List<String> out = new CopyOnWriteArrayList<>();
        ContextRequest request = request(ContextOptions.mode("process").withOutput(out::add).withPreload("OWN = VERSION + 1"));
        try (ProcessContext ctx = (ProcessContext) strategy.openContext(request)) {
            assertEquals("the pooled child, started before create", readyPid, ctx.pid());
            assertEquals(1, strategy.pool().served());
            assertEquals(request.id(), ctx.id());
            assertEquals(readyPid, ctx.eval("STARTED_AS"));
            assertEquals("the context's own preload ran at adoption", 2L, ctx.eval("OWN"));
            assertEquals("the shared preload's output reaches the adopting context's sink", List.of("shared preload ran"), out);
            assertEquals("the sandbox is applied at adoption", "PermissionError",
                    assertThrows(PyException.class, () -> ctx.exec("import os\nos.fork()")).pythonType());
            assertEquals(request.id(), ctx.info("s").id());
            await(() -> strategy.pool().readyCount() == 1, "the pool refills");
            assertNotEquals(readyPid, (long) strategy.pool().readyPids().get(0));
        }
        // limits too: a pooled child takes any options
        await(() -> strategy.pool().readyCount() == 1, "ready again");
        long next = strategy.pool().readyPids().get(0);
        try (ProcessContext limited = (ProcessContext) strategy.openContext(request(ContextOptions.mode("process")
                .withMemoryLimit(256L << 20).withCpuLimit(Duration.ofSeconds(5))))) {
            assertEquals(next, limited.pid());
            assertTrue(limited.eval("__import__('resource').getrlimit(__import__('resource').RLIMIT_AS)").toString().contains("268435456"));
            assertEquals("MemoryError", assertThrows(PyException.class, () -> limited.eval("len(bytearray(512 << 20))")).pythonType());
        }
        assertEquals(2, strategy.pool().served());
    }

    @Test
    public void aPreloadChangeEndsTheChildrenPreparedForTheOldOne() {
        strategy.warmPool(1, this::template);
        await(() -> strategy.pool().readyCount() == 1, "a child ready");
        long old = strategy.pool().readyPids().get(0);

        preload.set(List.of(new Fragment("app.py", 0, "VERSION = 2")));
        strategy.warmPool(1, this::template); // core calls it again on a preload change
        await(() -> strategy.pool().readyCount() == 1 && strategy.pool().readyPids().get(0) != old, "a child for the new preload");
        await(() -> ProcessHandle.of(old).map(p -> !p.isAlive()).orElse(true), "the old child ended");
        assertTrue(strategy.pool().discarded() >= 1);
        try (ProcessContext ctx = (ProcessContext) strategy.openContext(request(ContextOptions.mode("process")))) {
            assertEquals(2L, ctx.eval("VERSION"));
            assertEquals(1, strategy.pool().served());
        }

        // a creation whose preload is not the pooled one's is never served from the pool
        await(() -> strategy.pool().readyCount() == 1, "ready again");
        long pooled = strategy.pool().readyPids().get(0);
        ContextRequest other = Children.request(ContextOptions.mode("process"), List.of(), List.of(),
                List.of(new Fragment("app.py", 0, "VERSION = 3")));
        try (ProcessContext ctx = (ProcessContext) strategy.openContext(other)) {
            assertEquals(3L, ctx.eval("VERSION"));
            assertNotEquals(pooled, ctx.pid());
            assertEquals(1, strategy.pool().served());
        }
    }

    @Test
    public void stoppingTheStrategyEndsItsReadyChildren() {
        strategy.warmPool(2, this::template);
        await(() -> strategy.pool().readyCount() == 2, "two children ready");
        List<Long> pids = strategy.pool().readyPids();
        strategy.deactivate();
        for (long pid : pids) {
            await(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "child " + pid + " ended");
        }
        assertEquals(0, strategy.pool().readyCount());
        assertNull("a stopped pool serves nothing", strategy.pool().take(template()));
    }

    @Test
    public void sizeZeroEndsTheReadyChildrenAndAFailingPreloadDoesNotLeak() {
        strategy.warmPool(1, this::template);
        await(() -> strategy.pool().readyCount() == 1, "a child ready");
        long pid = strategy.pool().readyPids().get(0);
        strategy.warmPool(0, this::template);
        await(() -> strategy.pool().readyCount() == 0 && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "ended");

        // a context preload that raises fails the creation and ends the pooled child
        strategy.warmPool(1, this::template);
        await(() -> strategy.pool().readyCount() == 1, "a child ready");
        long taken = strategy.pool().readyPids().get(0);
        PyException e = assertThrows(PyException.class,
                () -> strategy.openContext(request(ContextOptions.mode("process").withPreload("raise ValueError('no')"))));
        assertEquals("ValueError", e.pythonType());
        await(() -> ProcessHandle.of(taken).map(p -> !p.isAlive()).orElse(true), "the child of the failed creation ended");
        assertFalse(strategy.pool().readyPids().contains(taken));
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
