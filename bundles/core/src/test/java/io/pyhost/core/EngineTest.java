package io.pyhost.core;

import org.junit.After;
import org.junit.Before;

/** A fresh preload registry and context engine on the embedded CPython per test; every context closed after it. */
abstract class EngineTest {
    protected PreloadRegistry preload;
    protected ContextEngine engine;

    @Before
    public final void openEngine() {
        preload = new PreloadRegistry();
        engine = new ContextEngine(EmbeddedPython.runtime(), preload, null);
    }

    @After
    public final void closeEngine() {
        engine.closeAll("test ended");
    }
}
