package io.pyhost.core;

import static org.junit.Assert.*;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

import org.junit.Test;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyObject;

/** Python objects held by Java (issue 13, handles and streams), in every mode, on real CPython. */
public class PyObjectTest extends EngineTest {

    @Test
    public void handlesCallAttributesAndMethodsAndKeepIdentity() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        import math
                        class Point:
                            class Inner: pass
                            def __init__(self, x, y): self.x, self.y = x, y
                            def norm(self, scale=1): return math.hypot(self.x, self.y) * scale
                        seen = []
                        def remember(o): seen.append(o); return len(seen)
                        """);
                try (PyObject sqrt = context.evalObject("math.sqrt");
                        PyObject cls = context.evalObject("Point");
                        PyObject p = cls.callObject(3, 4)) {
                    assertEquals(mode, 4.0, sqrt.call(16.0));
                    assertEquals(mode, "builtin_function_or_method", sqrt.type());
                    assertEquals(mode, "Point", p.type());
                    try (PyObject inner = context.evalObject("Point.Inner()")) {
                        assertEquals(mode, "Point.Inner", inner.type());
                    }
                    assertEquals(mode, 5.0, p.callMethod("norm"));
                    try (PyObject norm = p.getAttr("norm")) {
                        assertEquals(mode, 10.0, norm.callKw(List.of(), Map.of("scale", 2)));
                    }
                    p.setAttr("x", 6);
                    try (PyObject x = p.getAttr("x")) {
                        assertEquals(mode, 6L, x.toJava());
                    }
                    // a handle given back is the same Python object, in args and in locals
                    assertEquals(mode, 1L, context.call(null, "remember", List.of(p), null));
                    assertEquals(mode, true, context.eval("o is seen[0]", Map.of("o", p)));
                    assertEquals(mode, 6L, context.eval("o.x", Map.of("o", p)));
                    PyException missing = assertThrows(PyException.class, () -> p.getAttr("nope"));
                    assertEquals("AttributeError", missing.pythonType());
                    PyException raising = assertThrows(PyException.class, () -> sqrt.call(-1.0));
                    assertEquals("ValueError", raising.pythonType());
                    assertThrows(IllegalArgumentException.class, () -> p.getAttr(null));
                    try (PyObject list = context.evalObject("[1, 2]")) {
                        assertEquals(List.of(1L, 2L), list.toJava());
                    }
                }
            }
        }
    }

    @Test
    public void aHandleOfAnotherContextIsRefusedAndClosedHandlesAndContextsSayIllegalState() {
        for (String mode : EmbeddedPython.MODES) {
            PyContext a = EmbeddedPython.create(engine, mode);
            try (PyContext b = EmbeddedPython.create(engine, mode)) {
                PyObject list = a.evalObject("[1, 2, 3]");
                IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> b.eval("len(x)", Map.of("x", list)));
                assertTrue(other.getMessage(), other.getMessage().contains("context " + a.id()));
                PyObject closedOne = a.evalObject("object()");
                closedOne.close();
                closedOne.close(); // idempotent
                assertThrows(IllegalStateException.class, closedOne::type);
                assertThrows(IllegalStateException.class, () -> a.eval("x", Map.of("x", closedOne)));
                a.close();
                IllegalStateException gone = assertThrows(IllegalStateException.class, list::toJava);
                assertTrue(gone.getMessage(), gone.getMessage().contains("closed"));
                list.close(); // still fine
                assertEquals(2L, b.eval("1 + 1"));
            }
        }
    }

    @Test
    public void closingHandlesReleasesTheirReferences() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("import sys\nclass Thing: pass\nthing = Thing()");
                long baseline = (Long) context.eval("sys.getrefcount(thing)");
                PyObject[] handles = new PyObject[50];
                for (int i = 0; i < handles.length; i++) {
                    handles[i] = context.evalObject("thing");
                }
                assertEquals(mode, baseline + 50, context.eval("sys.getrefcount(thing)"));
                for (PyObject h : handles) {
                    h.close();
                }
                assertEquals(mode, baseline, context.eval("sys.getrefcount(thing)"));
                try (PyObject thing = context.evalObject("thing"); PyObject attr = thing.getAttr("__class__")) {
                    assertEquals("type", attr.type());
                }
                assertEquals(mode, baseline, context.eval("sys.getrefcount(thing)"));
                // handles Java drops without closing are released too (queued by a Cleaner, released by a call)
                for (int i = 0; i < 20; i++) {
                    context.evalObject("thing");
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                while ((Long) context.eval("sys.getrefcount(thing)") != baseline && System.nanoTime() < deadline) {
                    System.gc();
                    Thread.onSpinWait();
                }
                assertEquals(mode + ": dropped handles released", baseline, context.eval("sys.getrefcount(thing)"));
                // arguments converted before one that cannot be are released: no tuple leaks half-made
                context.exec("def takes(a, b):\n    return 0");
                try (PyObject thing = context.evalObject("thing")) {
                    for (int i = 0; i < 10; i++) {
                        assertThrows(IllegalArgumentException.class,
                                () -> context.call(null, "takes", List.of(thing, Thread.currentThread()), null));
                        assertThrows(IllegalArgumentException.class, () -> thing.call(thing, Object.class));
                    }
                    assertEquals(mode, baseline + 1, context.eval("sys.getrefcount(thing)"));
                }
            }
        }
    }

    @Test
    public void aMillionItemGeneratorStreamsLazilyAndClosingRunsItsFinally() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext context = EmbeddedPython.create(engine, mode)) {
                context.exec("""
                        state = {'made': 0, 'finally': False}
                        def count(n):
                            try:
                                for i in range(n):
                                    state['made'] += 1
                                    yield i
                            finally:
                                state['finally'] = True
                        """);
                try (PyObject gen = context.evalObject("count(1_000)")) {
                    Iterator<Object> it = gen.iterator();
                    assertEquals(0L, it.next());
                    assertEquals(1L, it.next());
                    assertEquals(mode + ": one step per next", 2L, context.eval("state['made']"));
                    long sum = 0;
                    while (it.hasNext()) {
                        sum += (Long) it.next();
                    }
                    assertEquals(mode, 499_500L - 1, sum);
                    assertThrows(NoSuchElementException.class, it::next);
                    assertEquals(mode, true, context.eval("state['finally']"));
                }
                context.exec("state.update(made=0)\nstate['finally'] = False");
                try (PyObject gen = context.evalObject("count(1_000_000)"); Stream<Object> stream = gen.stream()) {
                    assertEquals(List.of(0L, 1L, 2L), stream.limit(3).toList()); // batches of 1 and 2 so far
                }
                assertEquals(mode + ": closing the stream closed the generator", true, context.eval("state['finally']"));
                assertEquals(mode, 3L, context.eval("state['made']"));
                // a million ints streamed: never materialized in Python, and Java holds one batch at a time
                try (PyObject gen = context.evalObject("count(1_000_000)"); Stream<Object> stream = gen.stream()) {
                    assertEquals(mode, 499_999_500_000L, stream.mapToLong(o -> (Long) o).sum());
                }
                assertEquals(mode, 1_000_000L, context.eval("state['made'] - 3"));
                context.exec("def bad():\n    yield 1\n    raise KeyError('mid-stream')");
                try (PyObject gen = context.evalObject("bad()")) {
                    Iterator<Object> it = gen.iterator();
                    assertEquals(1L, it.next());
                    PyException mid = assertThrows(PyException.class, it::hasNext);
                    assertEquals("KeyError", mid.pythonType());
                }
                assertEquals(mode, 2L, context.eval("1 + 1"));
            }
        }
    }
}
