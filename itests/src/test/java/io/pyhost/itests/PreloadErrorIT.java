package io.pyhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;

/**
 * DESIGN.md semantic 7: a preload error fails {@code create} with a {@link PyException}
 * carrying the Python type, message and traceback, and leaves nothing behind: no open
 * context, no live interpreter, no interpreter thread more than before; the mode keeps working.
 */
@RunWith(PaxExam.class)
public class PreloadErrorIT extends PyhostTestSupport {

    /** Names the threads that own sub-interpreters (core's SubInterpreter). */
    static final String INTERPRETER_THREAD = "pyhost-interp-";

    @Test
    public void preloadSyntaxErrorFailsCreateWithTypeMessageAndTracebackAndLeavesNothingBehind() {
        forEachMode(mode -> {
            Baseline before = baseline();

            preload.setCode("def broken(:\n    return 1\n");
            PyException error = assertThrows(PyException.class, () -> create(mode));
            assertEquals("SyntaxError", error.pythonType());
            assertFalse("message", error.pythonMessage().isBlank());
            assertFalse("traceback", error.pythonTraceback().isBlank());
            assertTrue("the traceback names the exception: " + error.pythonTraceback(),
                    error.pythonTraceback().contains("SyntaxError"));
            assertTrue("the traceback names the fragment's origin as its file: " + error.pythonTraceback(),
                    error.pythonTraceback().contains("\"application\""));
            assertTrue("the getMessage() of the exception names the type: " + error.getMessage(),
                    error.getMessage().startsWith("SyntaxError"));

            preload.clearCode();
            assertUnchanged(before, mode);
            assertStillWorks(mode);
        });
    }

    @Test
    public void preloadRaisingAtRunTimeFailsCreateWithTheTracebackOfTheApplicationCode() {
        forEachMode(mode -> {
            Baseline before = baseline();

            preload.setCode("X = 1\ndef fail():\n    raise ValueError('preload refuses')\nfail()\n");
            PyException error = assertThrows(PyException.class, () -> create(mode));
            assertEquals("ValueError", error.pythonType());
            assertEquals("builtins.ValueError", error.pythonQualifiedType());
            assertEquals("preload refuses", error.pythonMessage());
            assertTrue("the traceback walks through the preload's own function: " + error.pythonTraceback(),
                    error.pythonTraceback().contains("in fail"));
            assertTrue(error.pythonTraceback(), error.pythonTraceback().contains("ValueError: preload refuses"));

            preload.clearCode();
            assertUnchanged(before, mode);
            assertStillWorks(mode);
        });
    }

    @Test
    public void contextPreloadErrorFailsCreateAndLeavesNothingBehind() {
        forEachMode(mode -> {
            Baseline before = baseline();

            PyException error = assertThrows(PyException.class,
                    () -> create(ContextOptions.mode(mode).withPreload("1 / 0")));
            assertEquals("ZeroDivisionError", error.pythonType());
            assertFalse(error.pythonTraceback().isBlank());

            assertUnchanged(before, mode);
            assertStillWorks(mode);
        });
    }

    @Test
    public void aFailedPreloadDoesNotBreakTheNextVersion() {
        forEachMode(mode -> {
            preload.setCode("this is not python");
            assertThrows(PyException.class, () -> create(mode));
            preload.setCode("FIXED = True");
            try (PyContext ctx = create(mode)) {
                assertEquals(true, ctx.eval("FIXED"));
            }
        });
    }

    private void assertStillWorks(String mode) {
        try (PyContext ctx = create(mode)) {
            assertEquals("[" + mode + "] a context made after the failure works", 4L, ctx.eval("2 + 2"));
        }
    }

    private Baseline baseline() {
        return new Baseline(openContexts().size(), liveInterpreters(), threadsNamed(INTERPRETER_THREAD));
    }

    /** Open contexts, CPython's live interpreters and interpreter threads before a failed creation. */
    private record Baseline(int contexts, long interpreters, Set<String> interpreterThreads) {
    }

    /** Counts are exact at once; an interpreter thread may take a moment to end after its interpreter. */
    private void assertUnchanged(Baseline before, String mode) {
        assertEquals("[" + mode + "] open contexts", before.contexts(), openContexts().size());
        assertEquals("[" + mode + "] live interpreters (len(_interpreters.list_all()))", before.interpreters(), liveInterpreters());
        // a thread of the baseline may end meanwhile; none may be added
        awaitCondition(() -> "[" + mode + "] no interpreter thread beyond " + before.interpreterThreads() + "; there are "
                + threadsNamed(INTERPRETER_THREAD), () -> before.interpreterThreads().containsAll(threadsNamed(INTERPRETER_THREAD)));
    }
}
