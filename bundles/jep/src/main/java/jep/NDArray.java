package jep;

import java.util.Arrays;

/**
 * A numpy array copied to or from Java (Jep 4.2.2): a one-dimensional primitive array
 * ({@code boolean[]}, {@code byte[]}, {@code short[]}, {@code int[]}, {@code long[]},
 * {@code float[]}, {@code double[]}) with the array's dimensions. Crosses to Python as a numpy
 * array of the matching dtype ({@code bool}, {@code int8}/{@code uint8}, ... {@code float64}); a
 * numpy array comes back as an {@code NDArray}. numpy works in worker contexts only
 * ({@link SharedInterpreter}) and needs the numpy bundle {@code io.pyhost.package.numpy}.
 */
public class NDArray<T> extends AbstractNDArray<T> {

    public NDArray(T data) {
        super(data);
    }

    public NDArray(T data, boolean unsigned) {
        super(data, unsigned);
    }

    public NDArray(T data, int... dimensions) {
        super(data, dimensions);
    }

    public NDArray(T data, boolean unsigned, int... dimensions) {
        super(data, unsigned, dimensions);
    }

    @Override
    protected void validate(T data) {
        Class<?> c = data.getClass();
        if (!c.isArray() || !c.getComponentType().isPrimitive() || c.getComponentType() == char.class) {
            throw new IllegalArgumentException("NDArray data must be a one-dimensional array of boolean, byte, short, int, long, "
                    + "float or double, not " + c.getTypeName());
        }
    }

    @Override
    protected int getLength(T data) {
        return java.lang.reflect.Array.getLength(data);
    }

    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof NDArray<?> other) || unsigned != other.unsigned || !Arrays.equals(dimensions, other.dimensions)) {
            return false;
        }
        return Arrays.deepEquals(new Object[] {data}, new Object[] {other.data});
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.deepHashCode(new Object[] {data}) + Arrays.hashCode(dimensions)) + Boolean.hashCode(unsigned);
    }

    @Override
    public T getData() {
        return data;
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
        return "NDArray[" + data.getClass().getComponentType() + Arrays.toString(dimensions) + (unsigned ? ", unsigned" : "") + "]";
    }
}
