package io.pyhost.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pyhost.api.PyBuffer;
import io.pyhost.core.bridge.SharedMemory;

/**
 * A Python buffer held by Java ({@link PythonObject#buffer()}). Its segment lives in a shared
 * arena of its own, closed before the Python buffer is released: once closed, Java's reads and
 * writes of the segment fail with {@link IllegalStateException} instead of reaching memory that
 * Python may free. The Python buffer itself is released with the GIL, at the context's next call
 * or at its close, never from the closing thread without it.
 */
final class PythonBuffer implements PyBuffer {
    private final PythonContext context;
    private final long id;
    private final SharedMemory.Exported exported; // used with the GIL only
    private final Arena scope = Arena.ofShared();
    private final MemorySegment segment;
    private final String format;
    private final int itemSize;
    private final long[] shape;
    private final long[] strides;
    private final boolean readOnly;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** GIL held: reads everything Java may ask later from the {@code Py_buffer}. */
    PythonBuffer(PythonContext context, long id, SharedMemory.Exported exported) {
        this.context = context;
        this.id = id;
        this.exported = exported;
        this.format = exported.format();
        this.itemSize = exported.itemSize();
        this.shape = exported.shape();
        this.strides = exported.strides();
        this.readOnly = exported.readOnly();
        MemorySegment memory = exported.address().reinterpret(exported.span(), scope, null);
        this.segment = readOnly ? memory.asReadOnly() : memory;
    }

    long id() {
        return id;
    }

    SharedMemory.Exported exported() {
        return exported;
    }

    @Override
    public MemorySegment segment() {
        checkOpen();
        return segment;
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public int itemSize() {
        return itemSize;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] strides() {
        return strides.clone();
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    /**
     * Closes the segment's scope; false when a native call uses the segment right now (then
     * nothing changed and the Python buffer must stay held).
     */
    boolean invalidate() {
        closed.set(true);
        try {
            scope.close();
            return true;
        } catch (IllegalStateException inUse) {
            return !scope.scope().isAlive(); // already closed: fine
        }
    }

    @Override
    public void close() {
        if (closed.get() && !scope.scope().isAlive()) {
            return;
        }
        if (!invalidate()) {
            throw new IllegalStateException("the segment of this PyBuffer is in use by a native call right now; close it again after");
        }
        context.release(this);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this PyBuffer of " + context.describe() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "PyBuffer[" + format + " x " + java.util.Arrays.toString(shape) + " of " + context.describe()
                + (closed.get() ? ", closed" : "") + "]";
    }
}
