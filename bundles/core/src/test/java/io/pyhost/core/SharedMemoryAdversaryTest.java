package io.pyhost.core;

import static org.junit.Assert.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyBuffer;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.api.PyObject;

/** Hostile Python and Java around memory shared without a copy (issue 14), in every mode. */
public class SharedMemoryAdversaryTest extends EngineTest {

    /**
     * A slice, cast or copy of a lent view that Python keeps (a global, a closure) is released
     * with the view when the call ends: using it later raises ValueError instead of reaching
     * memory the caller may free as soon as the call returned.
     */
    @Test
    public void viewsDerivedFromALentViewAreReleasedWithIt() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, mode); Arena arena = Arena.ofConfined()) {
                ctx.exec("""
                        kept = []
                        def keep(view):
                            kept.append(view[0:4])
                            kept.append(view.cast('i'))
                            kept.append(memoryview(view))
                            kept.append(view.toreadonly())
                            return sum(view[0:4])
                        def use():
                            out = []
                            for v in kept:
                                try:
                                    out.append(v[0])
                                except ValueError as e:
                                    out.append('released' if 'released' in str(e) else str(e))
                            return out
                        """);
                MemorySegment memory = arena.allocate(16);
                memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 5);
                assertThrows(mode, IllegalStateException.class, () -> ctx.call(null, "keep", List.of(memory), null));
                assertEquals(mode + ": no kept view reaches the lent memory after its call",
                        List.of("released", "released", "released", "released"), ctx.call(null, "use", List.of(), null));
                ctx.exec("kept.clear()");
                assertEquals(mode + ": once Python let go, calls go on as before", 5L, ctx.eval("sum(v[0:4])", Map.of("v", memory)));
            }
        }
    }

    /** What Python kept and released does not stop the next view: a later call over the same memory works. */
    @Test
    public void aSegmentLentAgainAfterItsViewsWereRevokedIsUsable() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, mode); Arena arena = Arena.ofConfined()) {
                ctx.exec("kept = []\ndef keep(v):\n    kept.append(v[1:])\n    return v[0]\n");
                MemorySegment memory = arena.allocate(8);
                memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 3);
                assertThrows(IllegalStateException.class, () -> ctx.call(null, "keep", List.of(memory), null));
                assertEquals(mode, List.of(3L, 8L, false), ctx.eval("[v[0], len(v), v.readonly]", Map.of("v", memory)));
                assertEquals(mode + ": the same memory twice in one call", List.of(false, 3L, 3L),
                        ctx.eval("[a is b, a[0], b[0]]", Map.of("a", memory, "b", memory)));
            }
        }
    }

    /**
     * A buffer whose format is longer than 255 characters (a ctypes Structure's runs to
     * kilobytes) is read whole; and a buffer pyhost refuses is given back to its exporter at once
     * (its {@code __release_buffer__} runs), not held for ever.
     */
    @Test
    public void aLongFormatIsReadWholeAndARefusedBufferIsGivenBack() {
        for (String mode : EmbeddedPython.MODES) {
            try (PyContext ctx = EmbeddedPython.create(engine, ContextOptions.mode(mode).withSandbox(false))) {
                ctx.exec("""
                        import ctypes
                        class Record(ctypes.Structure):
                            _fields_ = [('field_number_%d' % i, ctypes.c_int) for i in range(40)]
                        records = (Record * 3)()
                        records[1].field_number_0 = 77
                        released = []
                        class Exporter:
                            def __init__(self, target):
                                self.target = target
                            def __buffer__(self, flags):
                                return memoryview(self.target)
                            def __release_buffer__(self, view):
                                released.append(1)
                                view.release()
                        wide = Exporter(records)
                        backwards = Exporter(memoryview(bytearray(range(8)))[::-1])
                        """);
                String expected = (String) ctx.eval("memoryview(records).format");
                assertTrue(expected.length() > 256);
                try (PyObject wide = ctx.evalObject("wide"); PyBuffer buffer = wide.buffer()) {
                    assertEquals(mode, expected, buffer.format());
                    assertArrayEquals(mode, new long[] {3}, buffer.shape());
                    assertEquals(mode, 160, buffer.itemSize());
                    assertEquals(mode, 77, buffer.segment().get(ValueLayout.JAVA_INT, 160));
                }
                assertEquals(mode + ": closed, the buffer was given back", 1L, ctx.eval("len(released)"));
                try (PyObject backwards = ctx.evalObject("backwards")) {
                    assertThrows(IllegalArgumentException.class, backwards::buffer);
                }
                assertEquals(mode + ": refused, the buffer was given back at once", 2L, ctx.eval("len(released)"));
            }
        }
    }

    /**
     * Java closing buffers while the context closes (two threads): every Python buffer is given
     * back exactly once and the context's close completes (its globals released), never an error
     * half way through it.
     */
    @Test
    public void closingBuffersWhileTheContextClosesReleasesEachOnceAndCompletes() throws Exception {
        for (int round = 0; round < 20; round++) {
            for (String mode : EmbeddedPython.MODES) {
                PythonContext ctx = (PythonContext) EmbeddedPython.create(engine, mode);
                ctx.exec("""
                        released = []
                        class Exporter:
                            def __init__(self):
                                self.data = bytearray(8)
                            def __buffer__(self, flags):
                                return memoryview(self.data)
                            def __release_buffer__(self, view):
                                released.append(1)
                                view.release()
                        exporters = [Exporter() for _ in range(300)]
                        """);
                List<PyBuffer> buffers = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    try (PyObject one = ctx.evalObject("exporters[" + i + "]")) {
                        buffers.add(one.buffer());
                    }
                }
                CountDownLatch start = new CountDownLatch(1);
                List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                Thread closer = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (PyBuffer buffer : buffers) {
                            buffer.close();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                });
                start.countDown();
                ctx.close();
                closer.join(10_000);
                assertEquals(List.of(), failures);
                ctx.released().get(10, TimeUnit.SECONDS);
                for (PyBuffer buffer : buffers) {
                    assertThrows(IllegalStateException.class, buffer::segment);
                }
            }
        }
    }

    /**
     * Views Python kept (slices, casts, copies; in globals, closures, another thread, a traceback,
     * a suspended generator) of a 64 MiB segment whose confined arena closed when the call failed
     * because of them: the next call that uses them gets ValueError, never the unmapped memory
     * (which would take the JVM down: a JVM of its own).
     */
    @Test
    public void viewsKeptPastAnArenaThatClosedRaiseInsteadOfReadingFreedMemory() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            SharedMemoryProbe.assertHolds("keptViewsAfterTheArenaClosed", mode);
        }
    }
    /**
     * Python code that runs while a context closes (here an exporter's {@code __release_buffer__}
     * for a PyBuffer Java left open, that never returns) is interrupted like any call: close()
     * returns within its close timeout, and the context is released, instead of the loop running
     * for ever on a lane.
     */
    @Test
    public void pythonCodeRunByCloseIsInterruptedLikeAnyCall() throws Exception {
        for (String mode : EmbeddedPython.MODES) {
            PythonContext ctx = (PythonContext) EmbeddedPython.create(engine,
                    io.pyhost.api.ContextOptions.mode(mode).withCallTimeout(java.time.Duration.ofSeconds(2)));
            ctx.exec("""
                    class Exporter:
                        def __init__(self):
                            self.data = bytearray(16)
                        def __buffer__(self, flags):
                            return memoryview(self.data)
                        def __release_buffer__(self, view):
                            while True:
                                pass
                    exporter = Exporter()
                    """);
            try (io.pyhost.api.PyObject exporter = ctx.evalObject("exporter")) {
                assertNotNull(exporter.buffer()); // left open: released by close
            }
            long start = System.nanoTime();
            ctx.close();
            long closeMillis = (System.nanoTime() - start) / 1_000_000;
            ctx.released().get(10, java.util.concurrent.TimeUnit.SECONDS); // a TimeoutException when the loop is never interrupted
            // the cleanup code may run for the close timeout (5 s), then it is interrupted
            assertTrue(mode + ": close took " + closeMillis + " ms", closeMillis < 7_000);
        }
    }
}
