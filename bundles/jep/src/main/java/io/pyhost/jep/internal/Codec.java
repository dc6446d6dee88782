package io.pyhost.jep.internal;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jep.DirectNDArray;
import jep.JepException;
import jep.NDArray;
import jep.python.PyCallable;
import jep.python.PyObject;

/**
 * Values between Jep's Java side and Python, for one interpreter.
 *
 * <p>Java to Python ({@link #envelope}): a list the Python side reads back ({@code _Bridge.dec}):
 * {@code [value]} for what pyhost's value table carries as Jep does (null, booleans, numbers,
 * strings, characters), {@code [holder, class name, flags]} for any other Java object (so a Java
 * {@code List} stays a Java list in Python, as in Jep), {@code [mark, kind, ...]} for a Python
 * object ({@code P}), a copied numpy array ({@code N}) and Java memory shared for one call
 * ({@code D}).
 *
 * <p>Python to Java ({@link #raw}, then {@link #fit}): what {@code _Bridge.enc} made, read into
 * Java values; tuples, numpy arrays, callables and other Python objects arrive as marked lists
 * and become an unmodifiable {@code List}, a {@link NumpyValue} and a {@link Stashed} reference
 * that {@link #fit} turns into what the target type asks for.
 */
final class Codec {
    /** A numpy array as Python sent it: dtype ({@code <i4}), shape, its bytes (C order), and the array itself (stash id). */
    record NumpyValue(String dtype, int[] shape, byte[] bytes, long stashId) {
    }

    /** A Python object kept on the Python side under {@code id} until Java takes it (or the next operation). */
    record Stashed(long id, String typeName, boolean callable, String text) {
    }

    /** A value that does not fit the Java type asked for; becomes Python's TypeError or OverflowError. */
    static final class Mismatch extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String pythonType;

        Mismatch(String pythonType, String message) {
            super(message, null, false, false);
            this.pythonType = pythonType;
        }
    }

    static final int NO = Integer.MAX_VALUE;

    /** A Python list as read ({@link #raw}): converted again by {@link #fit}, unlike a Java list Python handed back. */
    static final class PythonList extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;

        PythonList(int size) {
            super(size);
        }
    }

    /** A Python tuple as read: unmodifiable. */
    static final class PythonTuple extends java.util.AbstractList<Object> implements java.util.RandomAccess {
        private final Object[] items;

        PythonTuple(List<Object> items) {
            this.items = items.toArray();
        }

        @Override
        public Object get(int index) {
            return items[index];
        }

        @Override
        public int size() {
            return items.length;
        }
    }

    /** A Python dict as read. */
    static final class PythonDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** A Python set as read. */
    static final class PythonSet extends LinkedHashSet<Object> {
        private static final long serialVersionUID = 1L;
    }

    private static boolean madeByPython(Object raw) {
        return raw instanceof PythonList || raw instanceof PythonTuple || raw instanceof PythonDict || raw instanceof PythonSet
                || raw instanceof NumpyValue || raw instanceof Stashed;
    }

    private final Session session;
    private final String mark;

    Codec(Session session, String mark) {
        this.session = session;
        this.mark = mark;
    }

    // ------------------------------------------------------------------ Java to Python

    /**
     * {@code value} as an envelope for Python. {@code keeps}: the value stays in Python after the
     * call ({@code set}), so Java memory cannot be lent to it.
     */
    List<Object> envelope(Object value, boolean keeps) {
        List<Object> env = new ArrayList<>(5);
        switch (value) {
            case null -> env.add(null);
            case Boolean b -> env.add(b);
            case String s -> env.add(s);
            case Character c -> env.add(String.valueOf(c));
            case Integer i -> env.add(i);
            case Long l -> env.add(l);
            case Short s -> env.add(s);
            case Byte b -> env.add(b);
            case Double d -> env.add(d);
            case Float f -> env.add(f);
            case BigInteger big -> env.add(big);
            case PyObject p -> {
                env.add(mark);
                env.add("P");
                env.add(session.handleOf(p));
            }
            case NDArray<?> nd -> {
                env.add(mark);
                env.add("N");
                env.add(dtype(nd.getData().getClass().getComponentType(), nd.isUnsigned()));
                env.add(shape(nd.getDimensions()));
                env.add(bytesOf(nd.getData()));
            }
            case DirectNDArray<?> direct -> {
                io.pyhost.api.PyObject array = session.pythonArrayOf(direct);
                env.add(mark);
                if (array != null) {
                    env.add("P");
                    env.add(array);
                } else if (keeps) {
                    throw new JepException("pyhost-jep cannot set a DirectNDArray over Java memory: Python would keep Java's memory "
                            + "past the call, which pyhost never allows. Make the array in Python and take it with "
                            + "getValue(name, DirectNDArray.class) (then both sides share Python's memory), pass it to invoke(...) "
                            + "(shared for that call), or set an NDArray (a copy)");
                } else {
                    Buffer buffer = direct.getData();
                    env.add("D");
                    env.add(dtype(componentOf(buffer), direct.isUnsigned()));
                    env.add(shape(direct.getDimensions()));
                    env.add(MemorySegment.ofBuffer(buffer.duplicate().clear())); // all of it, as Jep shares it
                }
            }
            case Class<?> type -> {
                env.add(new JavaType(session, type));
                env.add(type.getName());
                env.add("K");
            }
            default -> {
                if (java.lang.reflect.Proxy.isProxyClass(value.getClass())
                        && java.lang.reflect.Proxy.getInvocationHandler(value) instanceof PythonProxy proxy) {
                    env.add(mark);
                    env.add("P");
                    env.add(session.handleOf(proxy.target()));
                } else {
                    env.add(new JavaValue(session, value));
                    env.add(value.getClass().getName());
                    env.add(flags(value));
                }
            }
        }
        return env;
    }

    /** What Python's proxy needs to know of a Java object: A array, L list, M map, C collection, I iterable. */
    static String flags(Object value) {
        StringBuilder f = new StringBuilder();
        if (value.getClass().isArray()) {
            f.append('A');
        }
        if (value instanceof List<?>) {
            f.append('L');
        }
        if (value instanceof Map<?, ?>) {
            f.append('M');
        }
        if (value instanceof Collection<?>) {
            f.append('C');
        }
        if (value instanceof Iterable<?>) {
            f.append('I');
        }
        return f.toString();
    }

    private static List<Object> shape(int[] dims) {
        List<Object> out = new ArrayList<>(dims.length);
        for (int d : dims) {
            out.add((long) d);
        }
        return out;
    }

    static String dtype(Class<?> component, boolean unsigned) {
        String order = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "<" : ">";
        String kind = unsigned ? "u" : "i";
        if (component == boolean.class) {
            return "|b1";
        } else if (component == byte.class) {
            return "|" + kind + "1";
        } else if (component == short.class) {
            return order + kind + "2";
        } else if (component == int.class) {
            return order + kind + "4";
        } else if (component == long.class) {
            return order + kind + "8";
        } else if (component == float.class) {
            return order + "f4";
        } else if (component == double.class) {
            return order + "f8";
        }
        throw new JepException("no numpy dtype for a Java " + component + " array");
    }

    private static Class<?> componentOf(Buffer buffer) {
        return switch (buffer) {
            case ByteBuffer b -> byte.class;
            case java.nio.ShortBuffer s -> short.class;
            case java.nio.IntBuffer i -> int.class;
            case java.nio.LongBuffer l -> long.class;
            case java.nio.FloatBuffer f -> float.class;
            case java.nio.DoubleBuffer d -> double.class;
            default -> throw new JepException("DirectNDArray cannot share a " + buffer.getClass().getName());
        };
    }

    /** A primitive array's elements in native byte order. */
    static byte[] bytesOf(Object array) {
        int n = Array.getLength(array);
        ByteBuffer out;
        switch (array) {
            case boolean[] z -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) (z[i] ? 1 : 0);
                }
                return b;
            }
            case byte[] b -> {
                return b.clone();
            }
            case short[] s -> (out = order(ByteBuffer.allocate(2 * n))).asShortBuffer().put(s);
            case int[] i -> (out = order(ByteBuffer.allocate(4 * n))).asIntBuffer().put(i);
            case long[] l -> (out = order(ByteBuffer.allocate(8 * n))).asLongBuffer().put(l);
            case float[] f -> (out = order(ByteBuffer.allocate(4 * n))).asFloatBuffer().put(f);
            case double[] d -> (out = order(ByteBuffer.allocate(8 * n))).asDoubleBuffer().put(d);
            default -> throw new JepException("not a primitive array: " + array.getClass().getTypeName());
        }
        return out.array();
    }

    private static ByteBuffer order(ByteBuffer b) {
        return b.order(ByteOrder.nativeOrder());
    }

    // ------------------------------------------------------------------ Python to Java

    /** What {@code _Bridge.enc} sent, as Java values (markers read, holders unwrapped). */
    Object raw(Object value) {
        switch (value) {
            case null -> {
                return null;
            }
            case JavaValue v -> {
                return v.target();
            }
            case JavaType t -> {
                return t.type();
            }
            case List<?> list -> {
                if (!list.isEmpty() && mark.equals(list.get(0))) {
                    return marked(list);
                }
                List<Object> out = new PythonList(list.size());
                for (Object item : list) {
                    out.add(raw(item));
                }
                return out;
            }
            case Map<?, ?> map -> {
                Map<Object, Object> out = new PythonDict();
                map.forEach((k, v) -> out.put(raw(k), raw(v)));
                return out;
            }
            case Set<?> set -> {
                Set<Object> out = new PythonSet();
                set.forEach(v -> out.add(raw(v)));
                return out;
            }
            default -> {
                return value;
            }
        }
    }

    private Object marked(List<?> list) {
        String kind = (String) list.get(1);
        switch (kind) {
            case "T" -> {
                List<Object> out = new ArrayList<>(list.size() - 2);
                for (Object item : list.subList(2, list.size())) {
                    out.add(raw(item));
                }
                return new PythonTuple(out);
            }
            case "N" -> {
                List<?> shape = (List<?>) list.get(3);
                int[] dims = new int[shape.size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = Math.toIntExact(((Number) shape.get(i)).longValue());
                }
                return new NumpyValue((String) list.get(2), dims, (byte[]) list.get(4), ((Number) list.get(5)).longValue());
            }
            case "C" -> {
                return new Stashed(((Number) list.get(2)).longValue(), (String) list.get(3), true, null);
            }
            case "O" -> {
                return new Stashed(((Number) list.get(2)).longValue(), (String) list.get(3), false, (String) list.get(4));
            }
            default -> throw new JepException("pyhost-jep: unknown value kind '" + kind + "' from Python");
        }
    }

    /** A raw value as Jep hands it to Java when nothing more specific is asked for. */
    Object plain(Object raw) {
        return fit(raw, Object.class);
    }

    /**
     * {@code raw} as a {@code type}, by Jep's rules; a {@link Mismatch} when it cannot be one.
     */
    Object fit(Object raw, Type type) {
        Class<?> target = rawClass(type);
        if (raw == null) {
            if (target.isPrimitive()) {
                throw mismatch(target, raw);
            }
            return null;
        }
        if (!madeByPython(raw) && !(raw instanceof Number || raw instanceof String) && target.isInstance(raw)) {
            return raw; // a Java object Python handed back: the very same object
        }
        if (target == Object.class) {
            return switch (raw) {
                case NumpyValue n -> ndarray(n);
                case Stashed s -> s.callable() ? session.pyObject(s.id(), true) : s.text();
                case PythonList l -> elements(l, null, new ArrayList<>(l.size()));
                case PythonTuple t -> Collections.unmodifiableList(elements(t, null, new ArrayList<>(t.size())));
                case PythonDict m -> entries(m, null, null);
                case PythonSet s -> elements(s, null, new LinkedHashSet<>());
                default -> raw;
            };
        }
        if (PyObject.class.isAssignableFrom(target) && raw instanceof Stashed s) {
            if (target == PyCallable.class && !s.callable()) {
                throw mismatch(target, raw);
            }
            if (!target.isAssignableFrom(PyCallable.class) && s.callable() && target != PyObject.class) {
                throw mismatch(target, raw);
            }
            return session.pyObject(s.id(), s.callable());
        }
        if (target.isPrimitive() || Number.class.isAssignableFrom(target) || target == Boolean.class || target == Character.class) {
            return scalar(raw, target);
        }
        if (target == String.class || target == CharSequence.class) {
            if (raw instanceof String s) {
                return s;
            }
            if (raw instanceof Stashed s && !s.callable()) {
                return s.text();
            }
            throw mismatch(target, raw);
        }
        if (raw instanceof NumpyValue n) {
            if (target == DirectNDArray.class) {
                return session.directArray(n);
            }
            if (target.isAssignableFrom(NDArray.class)) {
                return ndarray(n);
            }
            if (target.isArray() && target.getComponentType().isPrimitive()) {
                NDArray<?> nd = ndarray(n);
                if (nd.getData().getClass() == target) {
                    return nd.getData();
                }
            }
            throw mismatch(target, raw);
        }
        if (target.isArray()) {
            if (raw instanceof PythonList || raw instanceof PythonTuple) {
                List<?> list = (List<?>) raw;
                Class<?> component = target.getComponentType();
                Object out = Array.newInstance(component, list.size());
                for (int i = 0; i < list.size(); i++) {
                    Array.set(out, i, fit(list.get(i), component));
                }
                return out;
            }
            if (target.isInstance(raw)) {
                return raw;
            }
            throw mismatch(target, raw);
        }
        // Jep: a list fits what an ArrayList is; a tuple only what any List is (it arrives unmodifiable)
        if ((raw instanceof PythonList && target.isAssignableFrom(ArrayList.class))
                || (raw instanceof PythonTuple && target.isAssignableFrom(List.class))) {
            List<?> list = (List<?>) raw;
            List<Object> out = elements(list, typeArgument(type, 0), new ArrayList<>(list.size()));
            return raw instanceof PythonTuple ? Collections.unmodifiableList(out) : out;
        }
        if (raw instanceof PythonDict map && target.isAssignableFrom(LinkedHashMap.class)) {
            return entries(map, typeArgument(type, 0), typeArgument(type, 1));
        }
        if (raw instanceof PythonSet set && target.isAssignableFrom(LinkedHashSet.class)) {
            return elements(set, typeArgument(type, 0), new LinkedHashSet<>());
        }
        if (raw instanceof Stashed s && s.callable() && isFunctional(target)) {
            return session.proxy(session.pyObject(s.id(), true), true, target);
        }
        if (raw instanceof PyObject p && target.isInterface() && isFunctional(target)) {
            return session.proxy(p, true, target);
        }
        if (target.isInstance(raw)) {
            return raw;
        }
        throw mismatch(target, raw);
    }

    private List<Object> elements(Collection<?> in, Type element, List<Object> out) {
        for (Object item : in) {
            out.add(fit(item, element == null ? Object.class : element));
        }
        return out;
    }

    private Set<Object> elements(Collection<?> in, Type element, Set<Object> out) {
        for (Object item : in) {
            out.add(fit(item, element == null ? Object.class : element));
        }
        return out;
    }

    private Map<Object, Object> entries(Map<?, ?> in, Type key, Type value) {
        Map<Object, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(fit(k, key == null ? Object.class : key), fit(v, value == null ? Object.class : value)));
        return out;
    }

    private static Object scalar(Object raw, Class<?> target) {
        Class<?> boxed = box(target);
        if (boxed == Boolean.class) {
            if (raw instanceof Boolean b) {
                return b;
            }
        } else if (boxed == Character.class) {
            if (raw instanceof String s && s.length() == 1) {
                return s.charAt(0);
            }
            if (raw instanceof String) {
                throw new Mismatch("TypeError", "Expected char but received a str.");
            }
        } else if (raw instanceof Long || raw instanceof BigInteger) {
            BigInteger v = raw instanceof Long l ? BigInteger.valueOf(l) : (BigInteger) raw;
            if (boxed == Long.class || boxed == Number.class) {
                return boxed == Number.class && raw instanceof BigInteger && v.bitLength() > 63 ? raw : inRange(v, Long.MIN_VALUE, Long.MAX_VALUE, "long").longValue();
            }
            if (boxed == Integer.class) {
                return (int) inRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE, "int").longValue();
            }
            if (boxed == Short.class) {
                return (short) inRange(v, Short.MIN_VALUE, Short.MAX_VALUE, "short").longValue();
            }
            if (boxed == Byte.class) {
                return (byte) inRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "byte").longValue();
            }
            if (boxed == BigInteger.class) {
                return v;
            }
            if (target == double.class) { // a primitive double takes an int, as Python's float() would
                return v.doubleValue();
            }
            if (target == float.class) {
                return v.floatValue();
            }
        } else if (raw instanceof Double d) {
            if (boxed == Double.class || boxed == Number.class) {
                return d;
            }
            if (boxed == Float.class) {
                return d.floatValue();
            }
        } else if (boxed.isInstance(raw)) {
            return raw;
        }
        throw mismatch(target, raw);
    }

    private static BigInteger inRange(BigInteger v, long min, long max, String javaType) {
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new Mismatch("OverflowError", v + " is outside the valid range of a Java " + javaType + ".");
        }
        return v;
    }

    /** How well {@code raw} fits {@code type} (0 exact, higher looser, {@link #NO} not at all): overloads are chosen by it. */
    int cost(Object raw, Type type) {
        Class<?> target = rawClass(type);
        if (raw == null) {
            return target.isPrimitive() ? NO : target == Object.class ? 2 : 1;
        }
        Class<?> boxed = box(target);
        int c = switch (raw) {
            case Boolean b -> boxed == Boolean.class ? 0 : NO;
            case Long l -> boxed == Long.class ? 0 : boxed == Integer.class ? (l == (int) (long) l ? 1 : NO)
                    : boxed == Short.class ? (l == (short) (long) l ? 2 : NO) : boxed == Byte.class ? (l == (byte) (long) l ? 3 : NO)
                    : boxed == BigInteger.class ? 3 : target == double.class || target == float.class ? 4
                    : boxed == Number.class ? 5 : NO;
            case BigInteger big -> boxed == BigInteger.class ? 0 : boxed == Number.class ? 5 : NO;
            case Double d -> boxed == Double.class ? 0 : boxed == Float.class ? 1 : boxed == Number.class ? 5 : NO;
            case String s -> target == String.class ? 0 : target == CharSequence.class ? 1
                    : boxed == Character.class && s.length() == 1 ? 2 : NO;
            case NumpyValue n -> target == NDArray.class || target == DirectNDArray.class ? 0
                    : target.isArray() && target.getComponentType().isPrimitive() ? 1 : NO;
            case Stashed s -> PyObject.class.isAssignableFrom(target) ? (target == PyCallable.class && !s.callable() ? NO : 0)
                    : s.callable() && isFunctional(target) ? 1 : !s.callable() && target == String.class ? 3 : NO;
            case PythonList list -> listCost(list, target);
            case PythonTuple tuple -> listCost(tuple, target);
            case PythonDict map -> target.isAssignableFrom(LinkedHashMap.class) ? 1 : NO;
            case PythonSet set -> target.isAssignableFrom(LinkedHashSet.class) ? 1 : NO;
            default -> target.isInstance(raw) ? (target == raw.getClass() ? 0 : 1) : NO;
        };
        if (c == NO && target == Object.class) {
            return 6;
        }
        return target == Object.class ? Math.max(c, 6) : c;
    }

    private int listCost(List<?> list, Class<?> target) {
        return (list instanceof PythonTuple ? target.isAssignableFrom(List.class) : target.isAssignableFrom(ArrayList.class)) ? 1
                : target.isArray() && list.stream().allMatch(i -> cost(i, target.getComponentType()) != NO) ? 2 : NO;
    }

    /** A mismatch with Jep's message: {@code Expected java.lang.Integer but received a str.} */
    static Mismatch mismatch(Class<?> target, Object raw) {
        return new Mismatch("TypeError", "Expected " + target.getName() + " but received a " + pythonName(raw) + ".");
    }

    /** The Python type a raw value came from, for messages. */
    static String pythonName(Object raw) {
        return switch (raw) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case String s -> "str";
            case byte[] b -> "bytes";
            case NumpyValue n -> "numpy.ndarray";
            case Stashed s -> s.typeName();
            case PythonList l -> "list";
            case PythonTuple t -> "tuple";
            case PythonDict m -> "dict";
            case PythonSet s -> "set";
            case PyObject p -> "PyObject";
            default -> raw.getClass().getName();
        };
    }

    /** A numpy array's copy as an {@link NDArray}. */
    static NDArray<?> ndarray(NumpyValue n) {
        String dtype = n.dtype();
        char kind = dtype.charAt(1);
        int size = Integer.parseInt(dtype.substring(2));
        ByteOrder order = dtype.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : dtype.charAt(0) == '<' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.nativeOrder();
        ByteBuffer b = ByteBuffer.wrap(n.bytes()).order(order);
        Object data;
        if (kind == 'b' && size == 1) {
            boolean[] z = new boolean[n.bytes().length];
            for (int i = 0; i < z.length; i++) {
                z[i] = n.bytes()[i] != 0;
            }
            data = z;
        } else if ((kind == 'i' || kind == 'u') && size == 1) {
            data = n.bytes().clone();
        } else if ((kind == 'i' || kind == 'u') && size == 2) {
            short[] s = new short[n.bytes().length / 2];
            b.asShortBuffer().get(s);
            data = s;
        } else if ((kind == 'i' || kind == 'u') && size == 4) {
            int[] i = new int[n.bytes().length / 4];
            b.asIntBuffer().get(i);
            data = i;
        } else if ((kind == 'i' || kind == 'u') && size == 8) {
            long[] l = new long[n.bytes().length / 8];
            b.asLongBuffer().get(l);
            data = l;
        } else if (kind == 'f' && size == 4) {
            float[] f = new float[n.bytes().length / 4];
            b.asFloatBuffer().get(f);
            data = f;
        } else if (kind == 'f' && size == 8) {
            double[] d = new double[n.bytes().length / 8];
            b.asDoubleBuffer().get(d);
            data = d;
        } else {
            throw new JepException("<class 'TypeError'>: numpy dtype " + dtype + " has no Java array type "
                    + "(bool, int8..int64, uint8..uint64, float32 and float64 have)");
        }
        return new NDArray<>(data, kind == 'u', n.shape().length == 0 ? new int[] {1} : n.shape());
    }

    /** Whether {@code type} is an interface with exactly one abstract method (a lambda's target). */
    static boolean isFunctional(Class<?> type) {
        if (!type.isInterface()) {
            return false;
        }
        int abstracts = 0;
        for (java.lang.reflect.Method m : type.getMethods()) {
            if (Modifier.isAbstract(m.getModifiers()) && !isObjectMethod(m)) {
                abstracts++;
            }
        }
        return abstracts == 1;
    }

    static boolean isObjectMethod(java.lang.reflect.Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        if (type instanceof java.lang.reflect.GenericArrayType g) {
            return Array.newInstance(rawClass(g.getGenericComponentType()), 0).getClass();
        }
        return Object.class;
    }

    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType p && p.getActualTypeArguments().length > index) {
            Type arg = p.getActualTypeArguments()[index];
            return arg instanceof Class<?> || arg instanceof ParameterizedType ? arg : null;
        }
        return null;
    }

    static Class<?> box(Class<?> c) {
        if (!c.isPrimitive()) {
            return c;
        }
        return switch (c.getName()) {
            case "int" -> Integer.class;
            case "long" -> Long.class;
            case "double" -> Double.class;
            case "float" -> Float.class;
            case "boolean" -> Boolean.class;
            case "short" -> Short.class;
            case "byte" -> Byte.class;
            case "char" -> Character.class;
            default -> Void.class;
        };
    }
}
