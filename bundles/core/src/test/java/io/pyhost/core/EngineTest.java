package io.pyhost.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.After;
import org.junit.Before;

import io.pyhost.api.PyFunction;
import io.pyhost.core.interop.FunctionRegistry;

/**
 * A fresh preload registry and context engine on the embedded CPython per test; every context
 * closed, and every Java function a test registered removed, after it.
 */
abstract class EngineTest {
    private static final AtomicLong FUNCTION_IDS = new AtomicLong(1_000_000);

    protected PreloadRegistry preload;
    protected ContextEngine engine;
    private final List<Long> functions = new ArrayList<>();

    @Before
    public final void openEngine() {
        preload = new PreloadRegistry();
        engine = new ContextEngine(EmbeddedPython.runtime(), preload, null);
    }

    @After
    public final void closeEngine() {
        engine.closeAll("test ended");
        functions.forEach(FunctionRegistry.shared()::remove);
    }

    /** Makes {@code function} callable from Python as {@code pyhost.call(name, ...)} for this test; returns its service id. */
    protected final long register(String name, PyFunction function) {
        long id = FUNCTION_IDS.incrementAndGet();
        FunctionRegistry.shared().add(new FunctionRegistry.Entry(name, function, 0, id));
        functions.add(id);
        return id;
    }
}
