package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * {@code PyContext.call} of a module function and of a preloaded function ({@code module}
 * null or empty: the context's own globals), and {@code eval} with locals that are visible to
 * that evaluation only; in every mode present.
 */
@RunWith(PaxExam.class)
public class CallAndEvalIT extends PyhostTestSupport {

    @Test
    public void callOfJsonDumpsWithArgsAndKwargs() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                Map<String, Object> value = new LinkedHashMap<>();
                value.put("b", 2);
                value.put("a", List.of(1, "x"));
                assertEquals("{\"b\": 2, \"a\": [1, \"x\"]}", ctx.call("json", "dumps", List.of(value), null));
                assertEquals("kwargs reach the function", "{\"a\": [1, \"x\"], \"b\": 2}",
                        ctx.call("json", "dumps", List.of(value), Map.of("sort_keys", true)));
                assertEquals("{\"a\": 1}", ctx.call("json", "dumps", List.of(Map.of("a", 1)), null));
                assertEquals("a dotted function name walks attributes", "/x/y",
                        ctx.call("os", "path.join", List.of("/x", "y"), null));
            }
        });
    }

    @Test
    public void callOfAPreloadedFunctionWithModuleNullOrEmpty() {
        forEachMode(mode -> {
            preload.setCode(SeedExamplesIT.BASIC_USAGE_PRELOAD);
            try (PyContext ctx = create(mode)) {
                assertEquals(10L, ctx.call(null, "shared_helper", List.of(5), null));
                assertEquals(14L, ctx.call("", "shared_helper", List.of(7), null));
                assertEquals("null args with kwargs", 42L, ctx.call(null, "shared_helper", null, Map.of("x", 21)));
                ctx.exec("def own(a, b=3):\n    return [a, b]");
                assertEquals("a function the context defined itself", List.of(1L, 3L), ctx.call(null, "own", List.of(1), null));
                PyException missing = assertThrows(PyException.class, () -> ctx.call(null, "no_such_function", null, null));
                assertEquals("NameError", missing.pythonType());
            }
        });
    }

    @Test
    public void evalWithLocalsSeesThemOnlyInThatEvaluation() {
        forEachMode(mode -> {
            preload.setCode("BASE = 100");
            try (PyContext ctx = create(mode)) {
                assertEquals(105L, ctx.eval("BASE + x + y", Map.of("x", 2, "y", 3)));
                assertEquals("a local hides a global of the same name", 1L, ctx.eval("BASE", Map.of("BASE", 1)));
                assertEquals(100L, ctx.eval("BASE"));
                assertEquals("locals do not leak into the globals", false, ctx.eval("'x' in globals()"));
                assertEquals("null locals mean none", 100L, ctx.eval("BASE", null));
                PyException error = assertThrows(PyException.class, () -> ctx.eval("x"));
                assertEquals("NameError", error.pythonType());
            }
        });
    }
}
