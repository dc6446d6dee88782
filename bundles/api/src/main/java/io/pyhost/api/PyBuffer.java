package io.pyhost.api;

import java.lang.foreign.MemorySegment;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The memory of a Python object seen from Java without a copy ({@link PyObject#buffer()}): a
 * Python buffer held by pyhost until {@link #close()}.
 *
 * <p>{@link #segment()} covers every element: for a C-contiguous buffer its size is the
 * buffer's length; element {@code (i, j, ...)} lies at byte offset
 * {@code i * strides()[0] + j * strides()[1] + ...}. The segment belongs to this buffer's scope:
 * once the buffer is closed (or its context), reading or writing it throws
 * {@link IllegalStateException} instead of touching memory Python may have freed. A read-only
 * buffer's segment is read-only.
 *
 * <p>Closing releases the Python buffer as a call of the context (serialized with its other
 * calls); it is idempotent and may be done from any thread.
 */
@ProviderType
public interface PyBuffer extends AutoCloseable {

    /** The memory, valid until {@link #close()}. */
    MemorySegment segment();

    /** The element format in {@code struct} module syntax: {@code d}, {@code B}, {@code <i}... */
    String format();

    /** Bytes per element. */
    int itemSize();

    /** Elements per dimension; empty for a scalar (0-dimensional) buffer. */
    long[] shape();

    /** Bytes between consecutive elements of each dimension (non-negative). */
    long[] strides();

    /** Whether Python exported the memory read-only (then {@link #segment()} is read-only too). */
    boolean readOnly();

    /** Releases the Python buffer; the segment can no longer be used. Idempotent. */
    @Override
    void close();
}
