package io.pyhost.core;

import static org.junit.Assert.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import io.pyhost.api.PyException;
import io.pyhost.core.bridge.MainInterpreter;
import io.pyhost.core.bridge.Namespace;
import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.SubInterpreter;
import io.pyhost.spi.SubInterpreterConfig;

/** The bridge's owned reference ({@link PyRef}): released once, with its interpreter's GIL only. */
public class PyRefTest {
    private final MainInterpreter main = EmbeddedPython.runtime().main();

    /** A namespace holding {@code t}, an instance only it refers to; and {@code sys}. */
    private static PyRef namespace(io.pyhost.core.bridge.PythonInterpreter in) {
        PyRef globals = Namespace.create(in);
        Namespace.exec(globals, "import sys\nclass T:\n    x = 1\n    def twice(self, v): return 2 * v\nt = T()\n");
        return globals;
    }

    private static long refcount(PyRef globals) {
        return (Long) Namespace.eval(globals, "sys.getrefcount(t)", null);
    }

    @Test
    public void closeReleasesExactlyOnceAndTheCountGoesBackToBaseline() {
        main.call(in -> {
            try (PyRef globals = namespace(in)) {
                long baseline = refcount(globals);
                PyRef t = globals.getItem("t");
                List<PyRef> more = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    more.add(t.newReference());
                }
                assertEquals(baseline + 4, refcount(globals));
                t.close();
                t.close(); // idempotent: released once only
                assertTrue(t.isClosed());
                assertEquals(baseline + 3, refcount(globals));
                for (PyRef r : more) {
                    r.close();
                    r.close();
                }
                assertEquals(baseline, refcount(globals));
            }
            return null;
        });
    }

    @Test
    public void operationsWorkAndReleaseWhatTheyMake() {
        main.call(in -> {
            try (PyRef globals = namespace(in); PyRef t = globals.getItem("t")) {
                long baseline = refcount(globals);
                try (PyRef x = t.getAttr("x")) {
                    assertEquals(1L, x.toJava());
                }
                t.setAttr("y", List.of(1, "a"));
                assertEquals(List.of(1L, "a"), Namespace.eval(globals, "t.y", null));
                assertEquals(42L, t.callMethod("twice", List.of(21)));
                assertEquals("T", t.typeName());
                assertNull(t.getAttrOrNull("nope"));
                PyException missing = assertThrows(PyException.class, () -> t.getAttr("nope"));
                assertEquals("AttributeError", missing.pythonType());
                // a PyRef among the arguments is the object itself
                assertEquals(true, Namespace.eval(globals, "o is t", Map.of("o", t)));
                try (PyRef same = PyRef.of(in, List.of(t)); PyRef first = same.item(0)) {
                    assertEquals(true, Namespace.eval(globals, "o is t", Map.of("o", first)));
                }
                try (PyRef items = PyRef.of(in, List.of(1, 2)); PyRef it = items.iterator()) {
                    Object end = new Object();
                    assertEquals(1L, it.next(end));
                    assertEquals(2L, it.next(end));
                    assertSame(end, it.next(end));
                }
                assertEquals(baseline, refcount(globals));
            }
            return null;
        });
    }

    @Test
    public void useAfterCloseThrowsIllegalState() {
        main.call(in -> {
            try (PyRef globals = namespace(in)) {
                PyRef t = globals.getItem("t");
                t.close();
                assertThrows(IllegalStateException.class, t::toJava);
                assertThrows(IllegalStateException.class, () -> t.getAttr("x"));
                assertThrows(IllegalStateException.class, () -> t.callMethod("twice", List.of(1)));
                assertThrows(IllegalStateException.class, t::newReference);
                assertThrows(IllegalStateException.class, () -> Namespace.eval(globals, "o", Map.of("o", t)));
            }
            return null;
        });
    }

    @Test
    public void closingWithoutTheGilIsRefusedAndReleasesNothing() {
        PyRef[] globals = new PyRef[1];
        PyRef t = main.call(in -> {
            globals[0] = namespace(in);
            return globals[0].getItem("t");
        });
        long baseline = main.call(in -> refcount(globals[0]));
        IllegalStateException refused = assertThrows(IllegalStateException.class, t::close); // no GIL on this thread
        assertTrue(refused.getMessage(), refused.getMessage().contains("GIL"));
        assertFalse(t.isClosed());
        assertEquals(baseline, (long) main.call(in -> refcount(globals[0])));

        // another interpreter's GIL is not this one's
        SubInterpreter sub = EmbeddedPython.runtime().newSubInterpreter(SubInterpreterConfig.ISOLATED);
        try {
            sub.call(in -> {
                assertThrows(IllegalStateException.class, t::close);
                return null;
            });
        } finally {
            sub.close();
        }
        assertFalse(t.isClosed());

        main.call(in -> {
            t.close();
            assertEquals(baseline - 1, refcount(globals[0]));
            globals[0].close();
            return null;
        });
    }

    @Test
    public void anAttachmentIsClosedByItsInterpreterOnly() {
        main.call(in -> {
            PyRef list = PyRef.of(in, List.of());
            in.attach("pyref-test.list", list);
            assertSame(list, in.attachment("pyref-test.list"));
            assertThrows(IllegalStateException.class, list::close);
            assertFalse(list.isClosed());
            in.attach("pyref-test.list", PyRef.of(in, List.of(1))); // the old one is released by the interpreter
            assertTrue(list.isClosed());
            return null;
        });
    }
}
