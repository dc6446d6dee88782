package io.pyhost.api;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A Python object held by Java: a reference in the context that made it
 * ({@link PyContext#evalObject}), kept alive until {@link #close()} or the context closes.
 *
 * <p>Every method runs as a call of that context: serialized with its other calls, bounded by
 * its call timeout, usable from any thread. Values cross by the value table, as for
 * {@link PyContext}; a {@code PyObject} given back in arguments or locals is the very same
 * Python object (one of another context is refused with {@link IllegalArgumentException}).
 * After {@link #close()}, or once its context is closed, every method but {@code close} throws
 * {@link IllegalStateException}.
 */
@ProviderType
public interface PyObject extends AutoCloseable {

    /** The qualified name of the object's Python type ({@code int}, {@code generator}, {@code Outer.Inner}). */
    String type();

    /** The object by the value table (a handle to a list gives a {@code List}). */
    Object toJava();

    /** {@code getattr(obj, name)}, as a handle. */
    PyObject getAttr(String name);

    /** {@code setattr(obj, name, value)}. */
    void setAttr(String name, Object value);

    /** {@code obj(*args)}, converted. */
    Object call(Object... args);

    /** {@code obj(*args, **kwargs)}, converted; {@code null} args or kwargs mean none. */
    Object callKw(List<?> args, Map<String, ?> kwargs);

    /** {@code obj(*args)}, as a handle. */
    PyObject callObject(Object... args);

    /** {@code obj.name(*args)}, converted. */
    Object callMethod(String name, Object... args);

    /**
     * {@code iter(obj)}, pulled lazily: each {@code next()} (or {@code hasNext()} after a
     * {@code next()}) advances Python's iterator by one step, in a call of the context. A Python
     * exception raised by a step is thrown by that {@code hasNext()}/{@code next()} as
     * {@link PyException}.
     */
    Iterator<Object> iterator();

    /**
     * {@code iter(obj)} as a sequential stream, pulled lazily in growing batches (1, 2, 4, ... up to
     * 1,024 Python steps per call into the context, so memory stays bounded and bulk transfer is
     * fast; {@link #iterator()} takes exactly one step per element). Closing the stream closes the
     * Python iterator (a generator's {@code finally} blocks run) and releases it.
     */
    Stream<Object> stream();

    /**
     * The object's memory, without a copy, through Python's buffer protocol (a {@code bytes},
     * {@code bytearray}, {@code memoryview}, {@code array.array}, a numpy array...). The Python
     * buffer is held until the {@link PyBuffer} is closed, or its context closes; then its
     * {@link PyBuffer#segment() segment} can no longer be read or written (its scope is closed).
     *
     * @throws PyException when the object does not support the buffer protocol ({@code TypeError})
     * @throws IllegalArgumentException when its memory cannot be one segment: negative strides or
     *         suboffsets (copy it first, e.g. {@code numpy.ascontiguousarray})
     */
    PyBuffer buffer();

    /** Releases the reference; idempotent. */
    @Override
    void close();
}
