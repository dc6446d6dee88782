package io.pyhost.core;

import static org.junit.Assert.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

import org.junit.Test;

import io.pyhost.api.PyBuffer;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyObject;

/** Memory shared between Java and Python without a copy (issue 14), both ways, in every mode. */
public class SharedMemoryTest extends EngineTest {

    @Test
    public void aNativeSegmentIsAMemoryviewOverTheSameMemoryForTheCall() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, mode); Arena arena = Arena.ofConfined()) {
                ctx.exec("""
                        kept = []
                        def total_and_mark(view):
                            doubles = view.cast('d')
                            total = sum(doubles)
                            doubles[0] = 42.0          # Java sees this write: same memory
                            kept.append(view)
                            return [total, view.readonly, len(view)]
                        def later():
                            try:
                                kept[-1][0]
                            except ValueError as e:
                                return 'ValueError: ' + str(e)
                            return 'still usable'
                        """);
                MemorySegment doubles = arena.allocate(ValueLayout.JAVA_DOUBLE, 1000);
                for (int i = 0; i < 1000; i++) {
                    doubles.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i);
                }
                assertEquals(mode, List.of(499_500.0, false, 8000L), ctx.call(null, "total_and_mark", List.of(doubles), null));
                assertEquals(mode + ": Python wrote into Java's memory", 42.0, doubles.getAtIndex(ValueLayout.JAVA_DOUBLE, 0), 0.0);
                String later = (String) ctx.call(null, "later", List.of(), null);
                assertTrue(mode + ": the view is released after its call: " + later, later.startsWith("ValueError") && later.contains("released"));

                // as a local too, and read-only when the segment is
                assertEquals(mode, List.of(true, 42.0), ctx.eval("[v.readonly, v.cast('d')[0]]", Map.of("v", doubles.asReadOnly())));
                PyException write = assertThrows(PyException.class, () -> ctx.eval("v.__setitem__(0, 1)", Map.of("v", doubles.asReadOnly())));
                assertEquals("TypeError", write.pythonType());
                assertEquals(mode, 42.0, doubles.getAtIndex(ValueLayout.JAVA_DOUBLE, 0), 0.0);
            }
        }
    }

    @Test
    public void aHeapSegmentIsRefusedAndTheContextGoesOn() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, mode)) {
                IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                        () -> ctx.eval("len(v)", Map.of("v", MemorySegment.ofArray(new double[4]))));
                assertTrue(heap.getMessage(), heap.getMessage().contains("heap MemorySegment"));
                Arena closed = Arena.ofConfined();
                MemorySegment gone = closed.allocate(8);
                closed.close();
                IllegalArgumentException dead = assertThrows(IllegalArgumentException.class, () -> ctx.eval("len(v)", Map.of("v", gone)));
                assertTrue(dead.getMessage(), dead.getMessage().contains("closed"));
                assertEquals(mode, 2L, ctx.eval("1 + 1"));
            }
        }
    }

    @Test
    public void memoryPythonKeepsPastTheCallIsReportedAndStaysUntilPythonLetsGo() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, mode); Arena arena = Arena.ofConfined()) {
                ctx.exec("""
                        held = []
                        def keep_slice(view):
                            held.append(view[0:4])     # another view of the same memory
                            return 1
                        def keep_export(view):
                            held.append(view.cast('B')) # a view derived from it
                            return 2
                        """);
                MemorySegment bytes = arena.allocate(16);
                for (String function : List.of("keep_slice", "keep_export")) {
                    IllegalStateException kept = assertThrows(IllegalStateException.class,
                            () -> ctx.call(null, function, List.of(bytes), null));
                    assertTrue(mode + " " + function + ": " + kept.getMessage(), kept.getMessage().contains("still in use by Python"));
                    // the caller may free the memory now: what Python kept no longer reaches it (SharedMemoryAdversaryTest)
                    PyException released = assertThrows(PyException.class, () -> ctx.eval("held[-1][0]"));
                    assertEquals(mode, "ValueError", released.pythonType());
                    ctx.exec("held.clear()");
                    assertEquals(mode + ": after Python let go, calls go on", 3L, ctx.eval("1 + 2"));
                }
            }
        }
    }

    @Test
    public void aGibibyteSegmentCrossesWithoutCopying() {
        try (PyContext ctx = EmbeddedPython.create(engine, "worker"); Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(1L << 30);
            big.set(ValueLayout.JAVA_BYTE, (1L << 30) - 1, (byte) 9);
            Runtime rt = Runtime.getRuntime();
            System.gc();
            long heapBefore = rt.totalMemory() - rt.freeMemory();
            assertEquals(List.of(1L << 30, 9L), ctx.eval("[len(v), v[-1]]", Map.of("v", big)));
            long grown = rt.totalMemory() - rt.freeMemory() - heapBefore;
            assertTrue("the heap grew by " + grown + " bytes for a 1 GiB segment", grown < 64L << 20);
        }
    }

    @Test
    public void aPythonBufferIsASegmentOverItsMemoryUntilClosed() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, mode)) {
                ctx.exec("import array\nnumbers = array.array('d', [1.5, 2.5, 3.5])\ndata = bytearray(b'abcd')\n"
                        + "grid = memoryview(bytearray(range(12))).cast('B', (3, 4))");
                try (PyObject numbers = ctx.evalObject("numbers"); PyBuffer buffer = numbers.buffer()) {
                    assertEquals("d", buffer.format());
                    assertEquals(8, buffer.itemSize());
                    assertArrayEquals(new long[] {3}, buffer.shape());
                    assertArrayEquals(new long[] {8}, buffer.strides());
                    assertFalse(buffer.readOnly());
                    MemorySegment segment = buffer.segment();
                    assertEquals(24, segment.byteSize());
                    assertEquals(2.5, segment.getAtIndex(ValueLayout.JAVA_DOUBLE, 1), 0.0);
                    segment.setAtIndex(ValueLayout.JAVA_DOUBLE, 2, -1.0);
                    assertEquals(mode + ": Java wrote into Python's array", -1.0, ctx.eval("numbers[2]"));
                    ctx.exec("numbers[0] = 8.0");
                    assertEquals(mode + ": and reads Python's writes", 8.0, segment.getAtIndex(ValueLayout.JAVA_DOUBLE, 0), 0.0);
                    buffer.close();
                    assertThrows(IllegalStateException.class, buffer::segment);
                    assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_DOUBLE, 0));
                    buffer.close(); // idempotent
                }
                try (PyObject grid = ctx.evalObject("grid"); PyBuffer buffer = grid.buffer()) {
                    assertArrayEquals(new long[] {3, 4}, buffer.shape());
                    assertArrayEquals(new long[] {4, 1}, buffer.strides());
                    assertEquals(11, buffer.segment().get(ValueLayout.JAVA_BYTE, 2 * 4 + 3));
                }
                try (PyObject bytes = ctx.evalObject("b'xyz'"); PyBuffer buffer = bytes.buffer()) {
                    assertTrue(buffer.readOnly());
                    assertTrue(buffer.segment().isReadOnly());
                }
                // while Java holds the buffer, Python cannot resize the bytearray; after close it can
                PyObject data = ctx.evalObject("data");
                PyBuffer held = data.buffer();
                assertEquals("BufferError", assertThrows(PyException.class, () -> ctx.exec("data.append(1)")).pythonType());
                held.close();
                ctx.exec("data.append(101)");
                assertEquals(List.of(5L, 101L), ctx.eval("[len(data), data[-1]]"));
                try (PyObject reversed = ctx.evalObject("memoryview(data)[::-1]")) {
                    assertThrows(IllegalArgumentException.class, reversed::buffer);
                }
                try (PyObject none = ctx.evalObject("object()")) {
                    assertEquals("TypeError", assertThrows(PyException.class, none::buffer).pythonType());
                }
                // closing the context releases the buffers Java still holds, and their segments go with them
                MemorySegment open = data.buffer().segment();
                ctx.close();
                assertThrows(IllegalStateException.class, () -> open.get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }
}
