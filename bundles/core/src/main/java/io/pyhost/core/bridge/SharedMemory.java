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
    /** Whether the layouts above matched a fresh view (one view of its managed buffer); else only release() decides. */
    private static volatile boolean layoutChecked = true;

    private SharedMemory() {
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
    public static MemorySegment view(MemorySegment segment) {
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
        if (view.address() == 0) {
            throw new Values.ConversionException();
        }
        if (layoutChecked && (viewsOfBuffer(view) != 1
                || (long) VIEW_EXPORTS.get(view.reinterpret(MEMORYVIEW.byteSize()), 0L) != 0)) {
            layoutChecked = false; // another CPython layout: trust memoryview.release() alone
        }
        return view;
    }

    /**
     * Releases a view made by {@link #view} (its {@code release()}): Python can no longer reach the
     * memory through it. False, and nothing released, when objects made from it still use the
     * memory ({@code numpy.frombuffer(view)} or a slice of it kept somewhere): then the memory
     * must stay. An object that copied the raw address (ctypes) is beyond what can be seen.
     * Does not release the caller's reference to the view.
     */
    public static boolean release(MemorySegment view) {
        if (viewsOfBuffer(view) > 1) {
            return false; // a slice or memoryview(view) still reaches the memory
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
    public static Exported acquire(MemorySegment exporter) {
        Arena struct = Arena.ofShared(); // freed at release, from whichever thread releases it
        MemorySegment view = struct.allocate(PY_BUFFER);
        if (PyObject_GetBuffer(exporter, view, PYBUF_RECORDS_RO) != 0) {
            struct.close();
            throw new Values.ConversionException();
        }
        Exported exported = new Exported(view, struct);
        try {
            exported.check();
        } catch (RuntimeException e) {
            exported.release();
            throw e;
        }
        return exported;
    }

    /** A Python buffer held by Java: its {@code Py_buffer} read through its layout. */
    public static final class Exported {
        private final MemorySegment view;
        private final Arena struct;

        private Exported(MemorySegment view, Arena struct) {
            this.view = view;
            this.struct = struct;
        }

        public MemorySegment address() {
            return (MemorySegment) BUF.get(view, 0L);
        }

        public long length() {
            return (long) LEN.get(view, 0L);
        }

        public int itemSize() {
            return Math.toIntExact((long) ITEMSIZE.get(view, 0L));
        }

        public boolean readOnly() {
            return (int) READONLY.get(view, 0L) != 0;
        }

        public String format() {
            MemorySegment format = (MemorySegment) FORMAT.get(view, 0L);
            return format.address() == 0 ? "B" : format.reinterpret(256).getString(0);
        }

        public long[] shape() {
            return dimensions(SHAPE, new long[] {length() / Math.max(1, itemSize())});
        }

        /** Bytes between elements per dimension; C-contiguous ones when the exporter gives none. */
        public long[] strides() {
            long[] shape = shape();
            long[] contiguous = new long[shape.length];
            long step = itemSize();
            for (int i = shape.length - 1; i >= 0; i--) {
                contiguous[i] = step;
                step *= shape[i];
            }
            return dimensions(STRIDES, contiguous);
        }

        /** Bytes from the first element to the end of the last one. */
        public long span() {
            long[] shape = shape();
            long[] strides = strides();
            long last = 0;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 0) {
                    return 0;
                }
                last += (shape[i] - 1) * strides[i];
            }
            return last + itemSize();
        }

        private long[] dimensions(VarHandle field, long[] otherwise) {
            int ndim = (int) NDIM.get(view, 0L);
            MemorySegment values = (MemorySegment) field.get(view, 0L);
            if (values.address() == 0) {
                return ndim == 0 ? new long[0] : otherwise;
            }
            return values.reinterpret((long) ndim * Long.BYTES).toArray(ValueLayout.JAVA_LONG);
        }

        private void check() {
            if (((MemorySegment) SUBOFFSETS.get(view, 0L)).address() != 0) {
                throw new IllegalArgumentException("the buffer uses suboffsets (an array of pointers): it is not one block of memory");
            }
            for (long stride : strides()) {
                if (stride < 0) {
                    throw new IllegalArgumentException("the buffer has negative strides: copy it first (e.g. numpy.ascontiguousarray)");
                }
            }
        }

        /** Gives the buffer back to Python and frees the {@code Py_buffer}. Once; GIL held. */
        public void release() {
            PyBuffer_Release(view);
            struct.close();
        }
    }
}
