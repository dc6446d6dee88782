package jep;

import java.nio.Buffer;
import java.util.Arrays;

/**
 * A numpy array and Java sharing one memory (Jep 4.2.2): a direct {@link Buffer}
 * ({@code ByteBuffer} ... {@code DoubleBuffer}) with dimensions.
 *
 * <p>In pyhost-jep the memory is Python's: {@code getValue("a", DirectNDArray.class)} gives a
 * {@code DirectNDArray} whose buffer is the numpy array's own memory (writes on either side are
 * seen by the other) until the interpreter closes; handed back to Python ({@code set},
 * {@code invoke}) it is that same numpy array. A {@code DirectNDArray} over Java memory is shared
 * with Python for one call ({@code invoke}, a method Python calls); {@code set} refuses it, since
 * pyhost never lets Python keep Java's memory past a call (an {@link NDArray} is copied instead).
 */
public class DirectNDArray<T extends Buffer> extends AbstractNDArray<T> {

    public DirectNDArray(T data) {
        super(data);
    }

    public DirectNDArray(T data, boolean unsigned) {
        super(data, unsigned);
    }

    public DirectNDArray(T data, int... dimensions) {
        super(data, dimensions);
    }

    public DirectNDArray(T data, boolean unsigned, int... dimensions) {
        super(data, unsigned, dimensions);
    }

    @Override
    protected void validate(T data) {
        if (!data.isDirect()) {
            throw new IllegalArgumentException("DirectNDArray needs a direct buffer (ByteBuffer.allocateDirect ...), not " + data);
        }
        if (data instanceof java.nio.CharBuffer) {
            throw new IllegalArgumentException("DirectNDArray does not take a CharBuffer: numpy has no 16-bit char type");
        }
    }

    @Override
    public int getLength(T data) {
        return data.capacity();
    }

    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        return obj instanceof DirectNDArray<?> other && unsigned == other.unsigned && Arrays.equals(dimensions, other.dimensions)
                && data.equals(other.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * data.hashCode() + Arrays.hashCode(dimensions)) + Boolean.hashCode(unsigned);
    }

    @Override
    public boolean isUnsigned() {
        return unsigned;
    }

    @Override
    public int[] getDimensions() {
        return dimensions;
    }

    @Override
    public String toString() {
        return "DirectNDArray[" + data + Arrays.toString(dimensions) + (unsigned ? ", unsigned" : "") + "]";
    }
}
