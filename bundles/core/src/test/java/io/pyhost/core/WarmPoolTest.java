package io.pyhost.core;

import static org.junit.Assert.*;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;

/** The warm pool: ready interpreters carry the current preload, stale ones are replaced, nothing leaks. */
public class WarmPoolTest extends EngineTest {
    private final Object owner = "owngil-strategy";

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue("timed out waiting for " + what, System.nanoTime() < deadline);
            Thread.sleep(10);
        }
    }

    private PyContext create() {
        return engine.create("owngil", EmbeddedPython.OWNGIL, owner, ContextOptions.mode("owngil"));
    }

    private static long poolThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pyhost-pool")).count();
    }

    @Test
    public void contextsComeFromThePoolWithTheCurrentPreload() throws Exception {
        // MADE: when the preload ran, on CLOCK_MONOTONIC like System.nanoTime() on Linux
        preload.setCode("import json, time\nGREETING = 'v1'\nMADE = time.monotonic_ns()\n");
        engine.setWarmPools(List.of(engine.warmPool("owngil", EmbeddedPython.OWNGIL, owner, 2)));
        await("two ready interpreters", () -> engine.warmPoolReady(owner) == 2);
        long beforeCreate = System.nanoTime();
        try (PyContext ctx = create()) {
            assertEquals("v1", ctx.eval("GREETING"));
            assertEquals("[1]", ctx.eval("json.dumps([1])"));
            assertTrue("the preload ran before create was called, in the pool", (Long) ctx.eval("MADE") < beforeCreate);
        }
        await("the pool refilled", () -> engine.warmPoolReady(owner) == 2);

        preload.setCode("GREETING = 'v2'\n");
        try (PyContext ctx = create()) { // the ready ones are stale: made cold, or from a refreshed pool
            assertEquals("v2", ctx.eval("GREETING"));
        }
        await("the pool refilled for v2", () -> engine.warmPoolReady(owner) == 2);
        try (PyContext ctx = engine.create("owngil", EmbeddedPython.OWNGIL, owner,
                ContextOptions.mode("owngil").withPreload("GREETING += '+context'"))) {
            assertEquals("v2+context", ctx.eval("GREETING"));
        }
    }

    @Test
    public void aPreloadErrorReachesTheCallerNotThePool() throws Exception {
        engine.setWarmPools(List.of(engine.warmPool("owngil", EmbeddedPython.OWNGIL, owner, 1)));
        await("one ready interpreter", () -> engine.warmPoolReady(owner) == 1);
        preload.setCode("raise ValueError('broken preload')");
        io.pyhost.api.PyException e = assertThrows(io.pyhost.api.PyException.class, this::create);
        assertEquals("broken preload", e.pythonMessage());
        preload.clearCode();
        try (PyContext ctx = create()) {
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }

    /** A provider that records what core tells its warm pool. */
    private static final class RecordingProvider implements io.pyhost.spi.ContextProvider {
        final List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile java.util.function.Supplier<io.pyhost.spi.ContextRequest> template;

        @Override
        public io.pyhost.spi.ProvidedContext openContext(io.pyhost.spi.ContextRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean sandboxByDefault() {
            return true;
        }

        @Override
        public void warmPool(int size, java.util.function.Supplier<io.pyhost.spi.ContextRequest> template) {
            sizes.add(size);
            this.template = template;
        }
    }

    @Test
    public void aProviderKeepsItsOwnPoolAndHearsOfEveryPreloadChange() {
        engine.setPythonInstallation(java.nio.file.Path.of("/opt/python"), null);
        RecordingProvider provider = new RecordingProvider();
        preload.setCode("A = 1");
        engine.setProvidedWarmPools(java.util.Map.of(provider, java.util.Map.entry("process", 2)));
        assertEquals(List.of(2), provider.sizes);
        io.pyhost.spi.ContextRequest first = provider.template.get();
        assertEquals("process", first.mode());
        assertEquals(0, first.id());
        assertTrue(first.sandbox());
        assertEquals(ContextOptions.mode("process"), first.options());
        assertEquals(List.of("A = 1"), first.fragments().stream().map(io.pyhost.api.Fragment::code).toList());

        engine.setProvidedWarmPools(java.util.Map.of(provider, java.util.Map.entry("process", 2)));
        assertEquals("the same setting again is not repeated", List.of(2), provider.sizes);

        preload.setCode("A = 2");
        assertEquals("a preload change is told", List.of(2, 2), provider.sizes);
        assertEquals(List.of("A = 2"), provider.template.get().fragments().stream().map(io.pyhost.api.Fragment::code).toList());

        engine.setProvidedWarmPools(java.util.Map.of());
        assertEquals("no longer configured: size 0", List.of(2, 2, 0), provider.sizes);
        preload.setCode("A = 3");
        assertEquals("then it hears nothing more", List.of(2, 2, 0), provider.sizes);
    }

    @Test
    public void stoppingThePoolEndsItsInterpretersAndThread() throws Exception {
        long baseline = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pyhost-interp-")).count();
        engine.setWarmPools(List.of(engine.warmPool("owngil", EmbeddedPython.OWNGIL, owner, 2)));
        await("two ready interpreters", () -> engine.warmPoolReady(owner) == 2);
        engine.setWarmPools(List.of());
        assertEquals(0, engine.warmPoolReady(owner));
        engine.closeAll("test ended");
        await("pool thread gone", () -> poolThreads() == 0);
        assertEquals(baseline, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("pyhost-interp-")).count());
    }
}
