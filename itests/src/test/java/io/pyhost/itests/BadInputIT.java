package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.junit.function.ThrowingRunnable;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * DESIGN.md "Bad input": null code, code with a NUL character, an unknown mode, a closed
 * context, an unconvertible Java value and Python that raises each get a clear exception, and
 * afterwards the same context (or, for a closed one, another) still works; in every mode present.
 */
@RunWith(PaxExam.class)
public class BadInputIT extends PyhostTestSupport {

    @Test
    public void nullCodeOrNamesAreRefusedWithIllegalArgumentException() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertRefused(ctx, "null", () -> ctx.eval(null));
                assertRefused(ctx, "null", () -> ctx.eval(null, Map.of("x", 1)));
                assertRefused(ctx, "null", () -> ctx.exec(null));
                assertRefused(ctx, "null", () -> ctx.call("json", null, List.of(), null));
                assertRefused(ctx, "null", () -> ctx.call(null, null, null, null));
            }
        });
    }

    @Test
    public void codeWithANulCharacterIsRefusedWithAMessageNamingTheNul() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                assertRefused(ctx, "NUL", () -> ctx.eval("1 +\0 1"));
                assertRefused(ctx, "NUL", () -> ctx.exec("x = 1\0"));
                assertRefused(ctx, "NUL", () -> ctx.call("js\0on", "dumps", List.of(1), null));
                assertRefused(ctx, "NUL", () -> ctx.eval("x", Map.of("x\0", 1)));
            }
        });
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> preload.setCode("A = 1\0"));
        assertTrue(error.getMessage(), error.getMessage().contains("NUL"));
        assertFalse("refused code is not kept", preload.hasPreload());
    }

    @Test
    public void anUnknownModeIsRefusedWithAMessageNamingTheModesPresent() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> factory.create("no-such-mode"));
        assertTrue(error.getMessage(), error.getMessage().contains("no-such-mode"));
        for (String mode : modes()) {
            assertTrue("the message names present mode " + mode + ": " + error.getMessage(), error.getMessage().contains(mode));
        }
        assertEquals(0, openContexts().stream().filter(c -> c.mode().equals("no-such-mode")).count());
        try (PyContext ctx = create(ContextFactory.WORKER)) {
            assertEquals(2L, ctx.eval("1 + 1"));
        }
    }

    @Test
    public void aClosedContextRefusesCallsWithIllegalStateExceptionAndOthersKeepWorking() {
        forEachMode(mode -> {
            try (PyContext other = create(mode)) {
                PyContext ctx = create(mode);
                ctx.exec("X = 1");
                assertFalse(ctx.isClosed());
                ctx.close();
                assertTrue(ctx.isClosed());
                ctx.close(); // idempotent
                assertTrue(ctx.isClosed());
                for (ThrowingRunnable call : List.<ThrowingRunnable>of(() -> ctx.eval("X"), () -> ctx.exec("X = 2"),
                        () -> ctx.call("json", "dumps", List.of(1), null), () -> ctx.eval("X", Map.of("y", 1)))) {
                    IllegalStateException error = assertThrows(IllegalStateException.class, call);
                    assertTrue("the message says it is closed: " + error.getMessage(), error.getMessage().contains("closed"));
                }
                assertFalse("closed contexts are no longer counted as open", openContexts().stream().anyMatch(c -> c.id() == ctx.id()));
                assertEquals(2L, other.eval("1 + 1"));
            }
        });
    }

    @Test
    public void pythonRaisingGivesPyExceptionWithTypeMessageAndTraceback() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                PyException error = assertThrows(PyException.class, () -> ctx.exec("""
                        def inner():
                            raise ValueError('bad value')
                        def outer():
                            inner()
                        outer()
                        """));
                assertEquals("ValueError", error.pythonType());
                assertEquals("builtins.ValueError", error.pythonQualifiedType());
                assertEquals("bad value", error.pythonMessage());
                assertTrue(error.pythonTraceback(), error.pythonTraceback().startsWith("Traceback (most recent call last):"));
                assertTrue("the traceback shows the frames: " + error.pythonTraceback(),
                        error.pythonTraceback().contains("in outer") && error.pythonTraceback().contains("in inner"));
                assertTrue(error.pythonTraceback(), error.pythonTraceback().contains("ValueError: bad value"));
                assertEquals("ValueError: bad value", error.getMessage());
                assertEquals(3L, ctx.eval("1 + 2"));

                ctx.exec("class MyError(Exception):\n    pass");
                PyException own = assertThrows(PyException.class, () -> ctx.exec("raise MyError('mine')"));
                assertEquals("MyError", own.pythonType());
                assertTrue(own.pythonQualifiedType(), own.pythonQualifiedType().endsWith(".MyError"));
                assertEquals("mine", own.pythonMessage());

                PyException syntax = assertThrows(PyException.class, () -> ctx.eval("1 +"));
                assertEquals("SyntaxError", syntax.pythonType());

                PyException fromCall = assertThrows(PyException.class, () -> ctx.call("json", "loads", List.of("{not json"), null));
                assertEquals("JSONDecodeError", fromCall.pythonType());
                assertEquals("json.decoder.JSONDecodeError", fromCall.pythonQualifiedType());

                PyException noModule = assertThrows(PyException.class, () -> ctx.call("no_such_module_xyz", "f", null, null));
                assertEquals("ModuleNotFoundError", noModule.pythonType());

                PyException exit = assertThrows(PyException.class, () -> ctx.exec("raise SystemExit(3)"));
                assertEquals("SystemExit does not end the JVM or the interpreter", "SystemExit", exit.pythonType());

                assertEquals("the context still works after each error", 3L, ctx.eval("1 + 2"));
            }
        });
    }

    @Test
    public void unconvertibleJavaValuesAreRefusedWithIllegalArgumentException() {
        forEachMode(mode -> {
            try (PyContext ctx = create(mode)) {
                // a plain Java object becomes a pyhost.JavaObject; one Python must never hold is refused, named
                IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                        () -> ctx.eval("x", Map.of("x", Object.class)));
                assertTrue("the message names the Java class: " + error.getMessage(), error.getMessage().contains("java.lang.Class"));
                assertThrows(IllegalArgumentException.class, () -> ctx.call("json", "dumps", List.of(Thread.currentThread()), null));

                List<Object> cycle = new java.util.ArrayList<>();
                cycle.add(cycle);
                IllegalArgumentException cyclic = assertThrows(IllegalArgumentException.class,
                        () -> ctx.call("json", "dumps", List.of(cycle), null));
                assertTrue("a cycle is named: " + cyclic.getMessage(), cyclic.getMessage().contains("cycle"));

                ctx.exec("SELF = []\nSELF.append(SELF)");
                IllegalArgumentException pythonCycle = assertThrows(IllegalArgumentException.class, () -> ctx.eval("SELF"));
                assertTrue(pythonCycle.getMessage(), pythonCycle.getMessage().contains("cycle"));

                assertEquals(3L, ctx.eval("1 + 2"));
            }
        });
    }

    private static void assertRefused(PyContext ctx, String named, ThrowingRunnable call) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
        assertTrue("the message names " + named + ": " + error.getMessage(), error.getMessage().contains(named));
        assertEquals("the context still works after: " + error.getMessage(), 2L, ctx.eval("1 + 1"));
    }
}
