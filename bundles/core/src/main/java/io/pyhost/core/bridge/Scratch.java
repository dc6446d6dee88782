package io.pyhost.core.bridge;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A small native buffer per thread for C out-parameters ({@code Py_ssize_t *size}) that are read
 * right after the call. A confined arena per call costs more than the call itself on the hot
 * path; this costs a thread-local lookup. Never hold it across another use on the same thread.
 */
final class Scratch {
    private static final ThreadLocal<MemorySegment> BUFFER = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(64, 8));

    private Scratch() {
    }

    /** 64 bytes, 8-aligned, owned by the current thread. */
    static MemorySegment forThisThread() {
        return BUFFER.get();
    }
}
