package jep;

/** What {@link NDArray} and {@link DirectNDArray} share: data, dimensions, signedness. */
abstract class AbstractNDArray<T> {
    protected final T data;
    protected final int[] dimensions;
    protected final boolean unsigned;

    protected AbstractNDArray(T data) {
        this(data, false);
    }

    protected AbstractNDArray(T data, boolean unsigned) {
        this(data, unsigned, (int[]) null);
    }

    protected AbstractNDArray(T data, int... dimensions) {
        this(data, false, dimensions);
    }

    protected AbstractNDArray(T data, boolean unsigned, int... dimensions) {
        if (data == null) {
            throw new IllegalArgumentException("the data of an array must not be null");
        }
        validate(data);
        int length = getLength(data);
        if (dimensions == null || dimensions.length == 0) {
            dimensions = new int[] {length};
        }
        long product = 1;
        for (int d : dimensions) {
            if (d < 0) {
                throw new IllegalArgumentException("array dimensions must not be negative: " + java.util.Arrays.toString(dimensions));
            }
        }
        for (int d : dimensions) {
            if (d == 0) {
                product = 0;
                break;
            }
            try {
                product = Math.multiplyExact(product, d); // a plain *= wraps: four dimensions of 65536 made 0, "an empty array"
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("dimensions " + java.util.Arrays.toString(dimensions) + " hold more elements than "
                        + "any array can, but the data has " + getLength(data));
            }
        }
        if (product != length) {
            throw new IllegalArgumentException("dimensions " + java.util.Arrays.toString(dimensions) + " hold " + product
                    + " elements, but the data has " + length);
        }
        this.data = data;
        this.dimensions = dimensions.clone();
        this.unsigned = unsigned;
    }

    protected abstract void validate(T data);

    protected abstract int getLength(T data);

    public int[] getDimensions() {
        return dimensions;
    }

    public boolean isUnsigned() {
        return unsigned;
    }

    public T getData() {
        return data;
    }
}
