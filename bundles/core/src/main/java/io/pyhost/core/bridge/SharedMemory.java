package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Memory shared by Java and Python without a copy (issue 14), both directions. GIL held for
 * every method.
 *
 * <ul>
 * <li>Java to Python: {@link #view} makes a {@code memoryview} over a native
 * {@link MemorySegment}; it owns nothing, so whoever made it must {@link #release} it before the
 * Java memory can go (pyhost does so when the call that received it ends).</li>
 * <li>Python to Java: {@link #acquire} takes a Python buffer ({@code PyObject_GetBuffer}) into a
 * {@code Py_buffer} in native memory, {@link Exported} reads it, {@link Exported#release} gives
 * it back ({@code PyBuffer_Release}).</li>
 * </ul>
 */
public final class SharedMemory {
    private static final int PYBUF_READ = 0x100;
    private static final int PYBUF_WRITE = 0x200;
    /** {@code PyBUF_RECORDS_RO}: strides and format; the exporter says whether it is read-only. */
    private static final int PYBUF_RECORDS_RO = 0x0010 | 0x0008 | 0x0004;

    private static final VarHandle BUF = PY_BUFFER.varHandle(groupElement("buf"));
    private static final VarHandle LEN = PY_BUFFER.varHandle(groupElement("len"));
    private static final VarHandle ITEMSIZE = PY_BUFFER.varHandle(groupElement("itemsize"));
    private static final VarHandle READONLY = PY_BUFFER.varHandle(groupElement("readonly"));
    private static final VarHandle NDIM = PY_BUFFER.varHandle(groupElement("ndim"));
    private static final VarHandle FORMAT = PY_BUFFER.varHandle(groupElement("format"));
    private static final VarHandle SHAPE = PY_BUFFER.varHandle(groupElement("shape"));
    private static final VarHandle STRIDES = PY_BUFFER.varHandle(groupElement("strides"));
    private static final VarHandle SUBOFFSETS = PY_BUFFER.varHandle(groupElement("suboffsets"));

    /**
     * The start of CPython's {@code PyMemoryViewObject} and {@code _PyManagedBufferObject}
     * (Include/cpython/memoryobject.h, 3.12 to 3.14, default build): read to see whether Python
     * still uses a view's memory when its call ends. {@code memoryview.release()} refuses only
     * while the view itself is exported ({@code numpy.frombuffer(view)}); a slice or
     * {@code memoryview(view)} is another view of the same managed buffer, which keeps the memory
     * reachable after the release, so the managed buffer's count of views is read too.
     */
    private static final java.lang.foreign.StructLayout MEMORYVIEW = java.lang.foreign.MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("ob_refcnt"), ValueLayout.ADDRESS.withName("ob_type"),
            ValueLayout.JAVA_LONG.withName("ob_size"), ValueLayout.ADDRESS.withName("mbuf"),
            ValueLayout.JAVA_LONG.withName("hash"), ValueLayout.JAVA_INT.withName("flags"),
            java.lang.foreign.MemoryLayout.paddingLayout(4), ValueLayout.JAVA_LONG.withName("exports"));
    private static final java.lang.foreign.StructLayout MANAGED_BUFFER = java.lang.foreign.MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("ob_refcnt"), ValueLayout.ADDRESS.withName("ob_type"),
            ValueLayout.JAVA_INT.withName("flags"), java.lang.foreign.MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("exports"));
    private static final VarHandle VIEW_MBUF = MEMORYVIEW.varHandle(groupElement("mbuf"));
    private static final VarHandle VIEW_EXPORTS = MEMORYVIEW.varHandle(groupElement("exports"));
    private static final VarHandle MBUF_EXPORTS = MANAGED_BUFFER.varHandle(groupElement("exports"));
    private static final VarHandle MBUF_FLAGS = MANAGED_BUFFER.varHandle(groupElement("flags"));
    /**
     * {@code _Py_MANAGED_BUFFER_RELEASED}: every memoryview over a managed buffer with this flag
     * refuses access ({@code BASE_INACCESSIBLE}/{@code CHECK_RELEASED} in Objects/memoryobject.c:
     * items, slices, casts, tobytes, iteration, exporting its buffer), whoever holds the view.
     */
    private static final int MANAGED_BUFFER_RELEASED = 0x001;
    /** Whether the layouts above matched a fresh view (one view of its managed buffer); else only release() decides. */
    private static volatile boolean layoutChecked = true;

    private SharedMemory() {
    }

    /** {@code view}'s managed buffer (read with the layout checked only). */
    private static MemorySegment managedBuffer(MemorySegment view) {
        MemorySegment mbuf = (MemorySegment) VIEW_MBUF.get(view.reinterpret(MEMORYVIEW.byteSize()), 0L);
        return mbuf.reinterpret(MANAGED_BUFFER.byteSize());
    }

    /**
     * Makes every memoryview over {@code view}'s memory (the view, its slices, casts,
     * {@code memoryview(view)}, wherever Python keeps them: globals, closures, threads, tracebacks,
     * generators) refuse access from now on, as if its exporter had gone. What took the raw
     * address out of one of them before (an exported buffer: numpy.frombuffer, ctypes.from_buffer,
     * struct.iter_unpack, C code running without the GIL) is beyond it.
     */
    private static void revokeAllViews(MemorySegment view) {
        if (layoutChecked) {
            MemorySegment mbuf = managedBuffer(view);
            MBUF_FLAGS.set(mbuf, 0L, (int) MBUF_FLAGS.get(mbuf, 0L) | MANAGED_BUFFER_RELEASED);
        }
    }

    /** Views of {@code view}'s managed buffer (its own included), or -1 when the layout did not match. */
    private static long viewsOfBuffer(MemorySegment view) {
        if (!layoutChecked) {
            return -1;
        }
        MemorySegment object = view.reinterpret(MEMORYVIEW.byteSize());
        MemorySegment mbuf = (MemorySegment) VIEW_MBUF.get(object, 0L);
        return mbuf.address() == 0 ? -1 : (long) MBUF_EXPORTS.get(mbuf.reinterpret(MANAGED_BUFFER.byteSize()), 0L);
    }

    /**
     * A new reference to a {@code memoryview} over {@code segment}'s memory, read-only when the
     * segment is.
     *
     * @throws IllegalArgumentException for a heap segment (the GC may move its memory) or one
     *         whose scope is closed
     */
    public static PyRef view(PythonInterpreter in, MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a heap MemorySegment cannot be shared with Python: the garbage collector may "
                    + "move its memory; allocate it from an Arena (native memory)");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalArgumentException("the MemorySegment's arena is closed");
        }
        // The address alone: the call may run on another thread than a confined arena's owner (that
        // owner is the caller, waiting for the call, so its arena cannot close meanwhile).
        MemorySegment view = PyMemoryView_FromMemory(MemorySegment.ofAddress(segment.address()), segment.byteSize(),
                segment.isReadOnly() ? PYBUF_READ : PYBUF_WRITE);
        PyRef owned = PyRef.take(in, view); // throws the Python exception of a NULL
        if (layoutChecked && (viewsOfBuffer(view) != 1
                || (long) VIEW_EXPORTS.get(view.reinterpret(MEMORYVIEW.byteSize()), 0L) != 0
                || (int) MBUF_FLAGS.get(managedBuffer(view), 0L) != 0)) {
            layoutChecked = false; // another CPython layout: trust memoryview.release() alone
        }
        return owned;
    }

    /**
     * Releases a view made by {@link #view} (its {@code release()}): Python can no longer reach the
     * memory through it. False, and nothing released, when objects made from it still use the
     * memory ({@code numpy.frombuffer(view)} or a slice of it kept somewhere): then the memory
     * must stay. An object that copied the raw address (ctypes) is beyond what can be seen.
     * Does not release the caller's reference to the view.
     */
    public static boolean release(PyRef lent) {
        MemorySegment view = lent.pointer();
        if (viewsOfBuffer(view) > 1) {
            // a slice or memoryview(view) is still alive: no Python code may reach the memory through
            // it any more (it will raise ValueError), but it may have exported its buffer, so the
            // memory still counts as in use until those views are gone
            revokeAllViews(view);
            return false;
        }
        MemorySegment method;
        try (Arena arena = Arena.ofConfined()) {
            method = PyObject_GetAttrString(view, arena.allocateFrom("release"));
        }
        MemorySegment done = method.address() == 0 ? MemorySegment.NULL : PyObject_CallObject(method, MemorySegment.NULL);
        if (method.address() != 0) {
            Py_DecRef(method);
        }
        if (done.address() == 0) {
            PyErr_Clear(); // BufferError: exports remain
            revokeAllViews(view); // no new access through any view; the exports themselves stay
            return false;
        }
        Py_DecRef(done);
        return true;
    }

    /**
     * Takes {@code exporter}'s buffer. A Python exception is raised (and {@link Values.ConversionException}
     * thrown) when it has none.
     *
     * @throws IllegalArgumentException when its memory is not one segment (negative strides,
     *         suboffsets); the buffer is then released again
     */
    public static Exported acquire(PyRef lent) {
        MemorySegment exporter = lent.pointer();
        Arena struct = Arena.ofShared(); // freed at release, from whichever thread releases it
        MemorySegment view = struct.allocate(PY_BUFFER);
        if (PyObject_GetBuffer(exporter, view, PYBUF_RECORDS_RO) != 0) {
            struct.close();
            throw new Values.ConversionException();
        }
        Exported exported = new Exported(view, struct);
        try {
            exported.check();
        } catch (ArithmeticException e) {
            exported.release();
            throw new IllegalArgumentException("the buffer's shape and strides do not fit in memory", e);
        } catch (RuntimeException e) {
            exported.release();
            throw e;
        }
        return exported;
    }

    /**
     * A Python buffer held by Java: its {@code Py_buffer} read through its layout once, when taken
     * (whatever the exporter filled in cannot fail later, after the buffer is someone's to release).
     */
    public static final class Exported {
        private final MemorySegment view;
        private final Arena struct;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        private MemorySegment address;
        private long length;
        private int itemSize;
        private boolean readOnly;
        private String format;
        private long[] shape;
        private long[] strides;
        private long span;

        private Exported(MemorySegment view, Arena struct) {
            this.view = view;
            this.struct = struct;
        }

        public MemorySegment address() {
            return address;
        }

        public long length() {
            return length;
        }

        public int itemSize() {
            return itemSize;
        }

        public boolean readOnly() {
            return readOnly;
        }

        /** Its {@code struct} format ({@code B} when the exporter gives none), however long. */
        public String format() {
            return format;
        }

        public long[] shape() {
            return shape.clone();
        }

        /** Bytes between elements per dimension; C-contiguous ones when the exporter gives none. */
        public long[] strides() {
            return strides.clone();
        }

        /** Bytes from the first element to the end of the last one. */
        public long span() {
            return span;
        }

        private long[] dimensions(VarHandle field, int ndim, long[] otherwise) {
            MemorySegment values = (MemorySegment) field.get(view, 0L);
            if (values.address() == 0) {
                return ndim == 0 ? new long[0] : otherwise;
            }
            return values.reinterpret(Math.multiplyExact((long) ndim, Long.BYTES)).toArray(ValueLayout.JAVA_LONG);
        }

        /** Reads the {@code Py_buffer}; refuses what is not one block of memory or does not add up. */
        private void check() {
            address = (MemorySegment) BUF.get(view, 0L);
            length = (long) LEN.get(view, 0L);
            itemSize = Math.toIntExact((long) ITEMSIZE.get(view, 0L));
            readOnly = (int) READONLY.get(view, 0L) != 0;
            MemorySegment formatString = (MemorySegment) FORMAT.get(view, 0L);
            // a C string of any length (a ctypes Structure's format runs to kilobytes)
            format = formatString.address() == 0 ? "B" : formatString.reinterpret(Long.MAX_VALUE).getString(0);
            int ndim = (int) NDIM.get(view, 0L);
            if (ndim < 0 || ndim > 64) { // PyBUF_MAX_NDIM
                throw new IllegalArgumentException("the buffer has " + ndim + " dimensions");
            }
            if (itemSize < 0 || length < 0) {
                throw new IllegalArgumentException("the buffer's exporter gave a negative size");
            }
            shape = dimensions(SHAPE, ndim, new long[] {length / Math.max(1, itemSize)});
            long[] contiguous = new long[shape.length];
            long step = itemSize;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] < 0) {
                    throw new IllegalArgumentException("the buffer has a negative shape: " + java.util.Arrays.toString(shape));
                }
                contiguous[i] = step;
                step = Math.multiplyExact(step, shape[i]);
            }
            strides = dimensions(STRIDES, ndim, contiguous);
            if (((MemorySegment) SUBOFFSETS.get(view, 0L)).address() != 0) {
                throw new IllegalArgumentException("the buffer uses suboffsets (an array of pointers): it is not one block of memory");
            }
            for (long stride : strides) {
                if (stride < 0) {
                    throw new IllegalArgumentException("the buffer has negative strides: copy it first (e.g. numpy.ascontiguousarray)");
                }
            }
            long last = 0;
            boolean empty = false;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 0) {
                    empty = true;
                    break;
                }
                last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, strides[i]));
            }
            span = empty ? 0 : Math.addExact(last, itemSize);
            if (span > 0 && address.address() == 0) {
                throw new IllegalArgumentException("the buffer's exporter gave no memory for " + span + " bytes");
            }
        }

        /** Gives the buffer back to Python and frees the {@code Py_buffer}. At most once, whoever asks again; GIL held. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                PyBuffer_Release(view);
                struct.close();
            }
        }
    }
}
