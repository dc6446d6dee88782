package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * The seed document's examples (py_preload guide: basic usage, process isolation, clearing)
 * replayed as written, in every mode present. Each Erlang line becomes one Java statement;
 * {@code {ok, V} = py:eval(...)} becomes an equality on the returned value, {@code {error, _}}
 * a {@link PyException}.
 */
@RunWith(PaxExam.class)
public class SeedExamplesIT extends PyhostTestSupport {

    static final String BASIC_USAGE_PRELOAD = """

            import json
            import os

            def shared_helper(x):
                return x * 2

            CONFIG = {'debug': True, 'version': '1.0'}
            """;

    @Test
    public void basicUsage_preloadedImportsFunctionsAndVariablesAreVisibleInANewContext() {
        forEachMode(mode -> {
            preload.setCode(BASIC_USAGE_PRELOAD);
            assertTrue(preload.hasPreload());
            assertEquals(BASIC_USAGE_PRELOAD, preload.getCode().orElseThrow());

            try (PyContext ctx = create(mode)) {
                assertEquals(mode, ctx.mode());
                assertEquals("{\"a\": 1}", ctx.eval("json.dumps({'a': 1})"));
                assertEquals(10L, ctx.eval("shared_helper(5)"));
                assertEquals(true, ctx.eval("CONFIG['debug']"));
                // `import os` of the preload is as visible as `import json`
                assertEquals("posix", ctx.eval("os.name"));
            }
        });
    }

    @Test
    public void processIsolation_anAssignmentInOneContextDoesNotShowInAnother() {
        forEachMode(mode -> {
            preload.setCode("COUNTER = 0");

            try (PyContext ctx1 = create(mode); PyContext ctx2 = create(mode)) {
                ctx1.exec("COUNTER = 100");
                assertEquals(100L, ctx1.eval("COUNTER"));
                assertEquals(0L, ctx2.eval("COUNTER"));
            }
        });
    }

    @Test
    public void clearingPreload_affectsOnlyNewContexts() {
        forEachMode(mode -> {
            preload.setCode("PRELOADED = 42");

            try (PyContext ctx1 = create(mode)) {
                assertEquals(42L, ctx1.eval("PRELOADED"));

                preload.clearCode();
                assertFalse(preload.hasPreload());
                assertTrue(preload.getCode().isEmpty());

                assertEquals("the existing context keeps its preload", 42L, ctx1.eval("PRELOADED"));

                try (PyContext ctx2 = create(mode)) {
                    PyException error = assertThrows(PyException.class, () -> ctx2.eval("PRELOADED"));
                    assertEquals("NameError", error.pythonType());
                    assertTrue(error.pythonMessage(), error.pythonMessage().contains("PRELOADED"));
                }
            }
        });
    }
}
