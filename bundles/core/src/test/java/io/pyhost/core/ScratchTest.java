package io.pyhost.core;

import static org.junit.Assert.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.spi.SubInterpreterConfig;

public class ScratchTest {
    @Test
    public void scratch() {
        Path home = Path.of("/tmp/cpy/org/bytedeco/cpython/linux-x86_64");
        PythonRuntime rt = PythonRuntime.start(home, home.resolve("libpython3.14.so.1.0"));
        System.out.println("version " + rt.pythonVersion());
        PreloadRegistry reg = new PreloadRegistry();
        reg.setCode("import json\nimport os\n\ndef shared_helper(x):\n    return x * 2\n\nCONFIG = {'debug': True, 'version': '1.0'}\n");
        ContextEngine engine = new ContextEngine(rt, reg, null);
        try (PyContext c = engine.create("worker", (i, o) -> i.main(), "w", ContextOptions.mode("worker"))) {
            assertEquals("{\"a\": 1}", c.eval("json.dumps({'a': 1})"));
            assertEquals(10L, c.eval("shared_helper(5)"));
            assertEquals(true, c.eval("CONFIG['debug']"));
            assertEquals(3L, c.call("", "shared_helper", List.of(1.5), null) instanceof Double ? 3L : 0L);
            assertEquals(7L, c.eval("x + 1", Map.of("x", 6)));
        }
        for (SubInterpreterConfig cfg : List.of(SubInterpreterConfig.LEGACY, SubInterpreterConfig.ISOLATED)) {
            try (PyContext c = engine.create("sub", (i, o) -> i.newSubInterpreter(cfg), "s", ContextOptions.mode("sub"))) {
                assertEquals(10L, c.eval("shared_helper(5)"));
                System.out.println(cfg + " -> " + c.eval("__import__('sys').version"));
            }
        }
        PythonRuntime.release();
    }
}
