package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts values between Java and Python, as {@link io.pyhost.api.PyContext} documents.
 * GIL held for every method.
 *
 * <p>Python to Java may run Python code ({@code str()} of an unknown object, a set's iterator),
 * and that code may change or free what is being converted. So every container and item is held
 * as an owned reference while it is converted, never as a borrowed pointer across a call that
 * can run Python; a container that changes size meanwhile is refused. Containers nested deeper than {@value #MAX_DEPTH} levels and
 * containers that contain themselves are refused with {@link IllegalArgumentException} in both
 * directions.
 */
public final class Values {
    /** How deeply containers may nest, in either direction. */
    public static final int MAX_DEPTH = 100;

    // tp_flags bits of the built-in base types (Include/object.h)
    private static final long LONG_SUBCLASS = 1L << 24;
    private static final long LIST_SUBCLASS = 1L << 25;
    private static final long TUPLE_SUBCLASS = 1L << 26;
    private static final long BYTES_SUBCLASS = 1L << 27;
    private static final long UNICODE_SUBCLASS = 1L << 28;
    private static final long DICT_SUBCLASS = 1L << 29;

    /** The two out-parameters of {@code PyBytes_AsStringAndSize(obj, &buffer, &length)}, side by side in the scratch buffer. */
    private static final java.lang.foreign.StructLayout BYTES_OUT = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("buffer"), ValueLayout.JAVA_LONG.withName("length"));

    private Values() {
    }

    // ------------------------------------------------------------------ Python -> Java

    /** The Java value of a Python object (borrowed; not released here). */
    static Object toJava(MemorySegment object) {
        // scalars first: the cycle-tracking set is made only when a container is met (most values are scalars)
        long t = typeOf(object).address();
        if (object.address() == Py_None.address() || t == PyLong_Type.address() || t == PyFloat_Type.address()
                || t == PyUnicode_Type.address() || t == PyBool_Type.address()) {
            return toJava(object, 0, null);
        }
        return toJava(object, 0, new HashSet<>());
    }

    /**
     * The items of an exact tuple (an argument tuple), each converted on its own: no list or
     * cycle-tracking set is made for the tuple itself (a tuple holds its items; any cycle through
     * it passes through a mutable container, which its own conversion detects). Anything else is
     * converted as {@link #toJava(MemorySegment)} does.
     */
    static Object items(MemorySegment object) {
        if (typeOf(object).address() != PyTuple_Type.address()) {
            return toJava(object);
        }
        long n = PyTuple_Size(object);
        List<Object> out = new ArrayList<>((int) Math.min(n, 1 << 20));
        for (long i = 0; i < n; i++) {
            out.add(toJava(PyTuple_GetItem(object, i))); // borrowed from the tuple, which the caller holds
        }
        return out;
    }

    private static Object toJava(MemorySegment o, int depth, Set<Long> path) {
        if (o.address() == Py_None.address()) {
            return null;
        }
        MemorySegment type = typeOf(o);
        long t = type.address();
        if (t == PyBool_Type.address()) {
            return o.address() == Py_True.address();
        }
        if (t == PyLong_Type.address()) {
            return integer(o);
        }
        if (t == PyFloat_Type.address()) {
            return PyFloat_AsDouble(o);
        }
        if (t == PyUnicode_Type.address()) {
            return string(o);
        }
        if (t == PyBytes_Type.address()) {
            return bytes(o);
        }
        if (t == PyList_Type.address() || t == PyTuple_Type.address()) {
            return sequence(o, t == PyList_Type.address(), depth, path);
        }
        if (t == PyDict_Type.address()) {
            return dict(o, depth, path);
        }
        if (t == PySet_Type.address() || t == PyFrozenSet_Type.address()) {
            return set(o, depth, path);
        }
        long flags = PyType_GetFlags(type);
        if ((flags & LONG_SUBCLASS) != 0) {
            return PyType_IsSubtype(type, PyBool_Type) != 0 ? o.address() == Py_True.address() : integer(o);
        }
        if ((flags & UNICODE_SUBCLASS) != 0) {
            return string(o);
        }
        if ((flags & BYTES_SUBCLASS) != 0) {
            return bytes(o);
        }
        if ((flags & (LIST_SUBCLASS | TUPLE_SUBCLASS)) != 0) {
            return sequence(o, (flags & LIST_SUBCLASS) != 0, depth, path);
        }
        if ((flags & DICT_SUBCLASS) != 0) {
            return dict(o, depth, path);
        }
        if (PyType_IsSubtype(type, PySet_Type) != 0 || PyType_IsSubtype(type, PyFrozenSet_Type) != 0) {
            return set(o, depth, path);
        }
        if (PyType_IsSubtype(type, PyFloat_Type) != 0) {
            return PyFloat_AsDouble(o);
        }
        Object java = lentObject(o, type);
        if (java != Foreign.NOT_FOREIGN) {
            return java; // a Java object Python held (pyhost.JavaObject): the very same object
        }
        MemorySegment str = PyObject_Str(o);
        if (str.address() == 0) {
            throw new ConversionException();
        }
        try {
            return string(str);
        } finally {
            Py_DecRef(str);
        }
    }

    private static Object integer(MemorySegment o) {
        long value = PyLong_AsLongLong(o);
        if (value != -1 || PyErr_Occurred().address() == 0) {
            return value;
        }
        PyErr_Clear(); // OverflowError: beyond 64 bits
        // Hexadecimal is exempt from CPython's int_max_str_digits limit, decimal is not.
        MemorySegment hex = PyNumber_ToBase(o, 16);
        if (hex.address() == 0) {
            throw new ConversionException();
        }
        try {
            String text = string(hex); // "0x1f" or "-0x1f"
            boolean negative = text.startsWith("-");
            BigInteger magnitude = new BigInteger(text.substring(negative ? 3 : 2), 16);
            return negative ? magnitude.negate() : magnitude;
        } finally {
            Py_DecRef(hex);
        }
    }

    /** A Java string of a Python str (borrowed); lone surrogates survive. */
    static String string(MemorySegment o) {
        MemorySegment size = Scratch.forThisThread();
        MemorySegment utf8 = PyUnicode_AsUTF8AndSize(o, size);
        if (utf8.address() != 0) {
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            return new String(utf8.reinterpret(n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
        try (Arena arena = Arena.ofConfined()) {
            // Lone surrogates cannot be UTF-8; Java strings can hold them, so go through UTF-16.
            PyErr_Clear();
            MemorySegment utf16 = PyUnicode_AsEncodedString(o, arena.allocateFrom("utf-16-le"), arena.allocateFrom("surrogatepass"));
            if (utf16.address() == 0) {
                throw new ConversionException();
            }
            try {
                byte[] raw = bytes(utf16);
                char[] chars = new char[raw.length / 2];
                for (int i = 0; i < chars.length; i++) {
                    chars[i] = (char) ((raw[2 * i] & 0xff) | (raw[2 * i + 1] & 0xff) << 8);
                }
                return new String(chars);
            } finally {
                Py_DecRef(utf16);
            }
        }
    }

    private static byte[] bytes(MemorySegment o) {
        MemorySegment scratch = Scratch.forThisThread();
        MemorySegment buffer = scratch.asSlice(BYTES_OUT.byteOffset(MemoryLayout.PathElement.groupElement("buffer")), ValueLayout.ADDRESS);
        MemorySegment size = scratch.asSlice(BYTES_OUT.byteOffset(MemoryLayout.PathElement.groupElement("length")), ValueLayout.JAVA_LONG);
        if (PyBytes_AsStringAndSize(o, buffer, size) != 0) {
            throw new ConversionException();
        }
        long n = size.get(ValueLayout.JAVA_LONG, 0);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Python bytes of " + n + " bytes do not fit a Java byte[]");
        }
        return buffer.get(ValueLayout.ADDRESS, 0).reinterpret(n).toArray(ValueLayout.JAVA_BYTE); // the one copy
    }

    private static List<Object> sequence(MemorySegment o, boolean list, int depth, Set<Long> path) {
        enter(o, list ? "list" : "tuple", depth, path);
        try {
            long n = list ? PyList_Size(o) : PyTuple_Size(o);
            List<Object> out = new ArrayList<>((int) Math.min(n, 1 << 20));
            for (long i = 0; i < n; i++) {
                if (list && PyList_Size(o) != n) {
                    throw new IllegalArgumentException("a Python list changed size while it was converted");
                }
                MemorySegment item = list ? PyList_GetItem(o, i) : PyTuple_GetItem(o, i); // borrowed...
                if (item.address() == 0) {
                    throw new ConversionException();
                }
                Py_IncRef(item); // ...and owned while its conversion may run Python
                try {
                    out.add(toJava(item, depth + 1, path));
                } finally {
                    Py_DecRef(item);
                }
            }
            return out;
        } finally {
            leave(o, path);
        }
    }

    private static Map<Object, Object> dict(MemorySegment o, int depth, Set<Long> path) {
        enter(o, "dict", depth, path);
        try (Arena arena = Arena.ofConfined()) {
            Map<Object, Object> out = new LinkedHashMap<>();
            long size = PyDict_Size(o);
            MemorySegment pos = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment key = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment value = arena.allocate(ValueLayout.ADDRESS);
            while (PyDict_Next(o, pos, key, value) != 0) {
                MemorySegment k = key.get(ValueLayout.ADDRESS, 0);   // borrowed...
                MemorySegment v = value.get(ValueLayout.ADDRESS, 0);
                Py_IncRef(k); // ...and owned while their conversion may run Python
                Py_IncRef(v);
                try {
                    out.put(toJava(k, depth + 1, path), toJava(v, depth + 1, path));
                } finally {
                    Py_DecRef(k);
                    Py_DecRef(v);
                }
                if (PyDict_Size(o) != size) {
                    throw new IllegalArgumentException("a Python dict changed size while it was converted");
                }
            }
            return out;
        } finally {
            leave(o, path);
        }
    }

    private static Set<Object> set(MemorySegment o, int depth, Set<Long> path) {
        enter(o, "set", depth, path);
        Set<Object> out = new LinkedHashSet<>();
        // A subclass's own __iter__ is not followed: it could yield without end in C code (no
        // interrupt lands there) and fill the Java heap. A plain copy reads the set's own storage.
        MemorySegment iterator;
        if (PySet_CheckExact(o) || PyFrozenSet_CheckExact(o)) {
            iterator = PyObject_GetIter(o);
        } else {
            MemorySegment copy = PySet_New(o);
            iterator = copy.address() == 0 ? copy : PyObject_GetIter(copy);
            if (copy.address() != 0) {
                Py_DecRef(copy);
            }
        }
        if (iterator.address() == 0) {
            leave(o, path);
            throw new ConversionException();
        }
        try {
            for (MemorySegment item; (item = PyIter_Next(iterator)).address() != 0; ) {
                try {
                    out.add(toJava(item, depth + 1, path));
                } finally {
                    Py_DecRef(item);
                }
            }
            if (PyErr_Occurred().address() != 0) {
                throw new ConversionException(); // e.g. "Set changed size during iteration"
            }
        } finally {
            Py_DecRef(iterator);
            leave(o, path);
        }
        return out;
    }

    /** The Java object a stand-in of {@code type} lends, or {@link Foreign#NOT_FOREIGN} when it is no stand-in. */
    private static Object lentObject(MemorySegment o, MemorySegment type) {
        Foreign handler = foreign;
        PythonInterpreter in = handler == null ? null : PythonInterpreter.attached();
        PyRef standIn = in == null ? null : handler.standInType(in);
        if (standIn == null || standIn.isClosed() || type.address() != standIn.pointer().address()) {
            return Foreign.NOT_FOREIGN;
        }
        return handler.lentObject(in, standInRef(o));
    }

    /** The reference a stand-in holds (its {@code _pyhost_ref}), or 0. */
    private static long standInRef(MemorySegment standIn) {
        MemorySegment ref = PyRef.getAttribute(standIn, "_pyhost_ref");
        if (ref.address() == 0) {
            PyErr_Clear();
            return 0;
        }
        long value = PyLong_AsLongLong(ref);
        Py_DecRef(ref);
        if (value == -1 && PyErr_Occurred().address() != 0) {
            PyErr_Clear();
            return 0;
        }
        return value;
    }

    private static boolean PySet_CheckExact(MemorySegment o) {
        return typeOf(o).address() == PySet_Type.address();
    }

    private static boolean PyFrozenSet_CheckExact(MemorySegment o) {
        return typeOf(o).address() == PyFrozenSet_Type.address();
    }

    private static void enter(MemorySegment o, String kind, int depth, Set<Long> path) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("Python value nested deeper than " + MAX_DEPTH + " levels");
        }
        if (!path.add(o.address())) {
            throw new IllegalArgumentException("Python " + kind + " contains itself; a cycle cannot be converted");
        }
        Py_IncRef(o);
    }

    private static void leave(MemorySegment o, Set<Long> path) {
        path.remove(o.address());
        Py_DecRef(o);
    }

    // ------------------------------------------------------------------ Java -> Python

    /**
     * A new tuple of the Python values of {@code items}, converted in order; when one cannot be
     * converted, what was made is released before the exception is thrown (nothing leaks).
     */
    static MemorySegment tuple(List<?> items) {
        MemorySegment tuple = PyTuple_New(items.size());
        if (tuple.address() == 0) {
            throw new ConversionException();
        }
        try {
            for (int i = 0; i < items.size(); i++) {
                PyTuple_SetItem(tuple, i, toPython(items.get(i))); // steals
            }
        } catch (RuntimeException e) {
            Py_DecRef(tuple); // the slots not yet filled are NULL, which a tuple's release skips
            throw e;
        }
        return tuple;
    }

    /** A new tuple holding new references to {@code objects} (borrowed here). */
    static MemorySegment tupleOf(MemorySegment... objects) {
        MemorySegment tuple = PyTuple_New(objects.length);
        if (tuple.address() == 0) {
            throw new ConversionException();
        }
        for (int i = 0; i < objects.length; i++) {
            Py_IncRef(objects[i]);
            PyTuple_SetItem(tuple, i, objects[i]); // steals the reference just taken
        }
        return tuple;
    }

    /** {@code callable(*items)}: a new reference, or NULL with a Python exception raised; nothing leaks. */
    static MemorySegment callWith(MemorySegment callable, List<?> items) {
        MemorySegment args = tuple(items);
        try {
            return PyObject_CallObject(callable, args);
        } finally {
            Py_DecRef(args);
        }
    }

    /** {@code callable(*objects)} with borrowed objects: a new reference, or NULL with a Python exception raised. */
    static MemorySegment callWithObjects(MemorySegment callable, MemorySegment... objects) {
        MemorySegment args = tupleOf(objects);
        try {
            return PyObject_CallObject(callable, args);
        } finally {
            Py_DecRef(args);
        }
    }

    /** A new reference to the Python value of {@code value}. */
    static MemorySegment toPython(Object value) {
        // scalars first: the cycle-tracking map is made only for a container (most values are scalars)
        if (value == null || value instanceof Long || value instanceof String || value instanceof Double
                || value instanceof Boolean || value instanceof Integer) {
            return toPython(value, 0, null);
        }
        return toPython(value, 0, new IdentityHashMap<>());
    }

    private static MemorySegment toPython(Object v, int depth, IdentityHashMap<Object, Boolean> path) {
        MemorySegment result = switch (v) {
            case null -> {
                Py_IncRef(Py_None);
                yield Py_None;
            }
            case Boolean b -> PyBool_FromLong(b ? 1 : 0);
            case Long l -> PyLong_FromLongLong(l);
            case Integer i -> PyLong_FromLongLong(i);
            case Short s -> PyLong_FromLongLong(s);
            case Byte b -> PyLong_FromLongLong(b);
            case BigInteger big -> bigInteger(big);
            case Double d -> PyFloat_FromDouble(d);
            case Float f -> PyFloat_FromDouble(f);
            case String s -> string(s);
            case Character c -> string(String.valueOf(c));
            case byte[] b -> bytes(b);
            case PyRef ref -> ref.newPointer(); // the object itself
            case Map<?, ?> m -> dict(m, depth, path);
            case Set<?> s -> set(s, depth, path);
            case Collection<?> c -> list(c, depth, path);
            default -> {
                if (v.getClass().isArray()) {
                    yield array(v, depth, path);
                }
                Foreign handler = foreign;
                PyRef standIn = handler == null ? null : handler.toPython(v);
                if (standIn != null) {
                    yield standIn.detach(); // a pyhost.JavaObject, or the object of a PyObject handle
                }
                throw new IllegalArgumentException("cannot convert a Java " + v.getClass().getName() + " to Python");
            }
        };
        if (result.address() == 0) {
            throw new ConversionException();
        }
        return result;
    }

    private static MemorySegment bigInteger(BigInteger big) {
        try (Arena arena = Arena.ofConfined()) {
            return PyLong_FromString(arena.allocateFrom(big.toString(16)), MemorySegment.NULL, 16);
        }
    }

    /** A new Python str; lone surrogates survive. */
    static MemorySegment string(String s) {
        try (Arena arena = Arena.ofConfined()) {
            if (!hasLoneSurrogate(s)) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                MemorySegment buffer = arena.allocate(Math.max(1, utf8.length));
                MemorySegment.copy(utf8, 0, buffer, ValueLayout.JAVA_BYTE, 0, utf8.length);
                return PyUnicode_FromStringAndSize(buffer, utf8.length);
            }
            MemorySegment buffer = arena.allocate((long) s.length() * 2);
            for (int i = 0; i < s.length(); i++) {
                buffer.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 2L * i, (short) s.charAt(i));
            }
            MemorySegment order = arena.allocate(ValueLayout.JAVA_INT);
            order.set(ValueLayout.JAVA_INT, 0, -1); // little-endian
            return PyUnicode_DecodeUTF16(buffer, buffer.byteSize(), arena.allocateFrom("surrogatepass"), order);
        }
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** A new Python bytes, filled with one copy straight into its buffer. */
    private static MemorySegment bytes(byte[] b) {
        MemorySegment bytes = PyBytes_FromStringAndSize(MemorySegment.NULL, b.length);
        if (bytes.address() == 0) {
            return bytes;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            PyBytes_AsStringAndSize(bytes, buffer, size);
            MemorySegment.copy(b, 0, buffer.get(ValueLayout.ADDRESS, 0).reinterpret(b.length), ValueLayout.JAVA_BYTE, 0, b.length);
        }
        return bytes;
    }

    private static MemorySegment list(Collection<?> c, int depth, IdentityHashMap<Object, Boolean> path) {
        enter(c, depth, path);
        MemorySegment list = PyList_New(c.size());
        if (list.address() == 0) {
            return list;
        }
        long i = 0;
        try {
            for (Object item : c) {
                if (i >= c.size()) {
                    throw new IllegalArgumentException("a Java collection changed size during conversion");
                }
                PyList_SetItem(list, i++, toPython(item, depth + 1, path)); // steals
            }
            if (i != c.size()) {
                throw new IllegalArgumentException("a Java collection changed size during conversion");
            }
        } catch (RuntimeException e) {
            Py_DecRef(list);
            throw e;
        }
        path.remove(c);
        return list;
    }

    private static MemorySegment array(Object array, int depth, IdentityHashMap<Object, Boolean> path) {
        enter(array, depth, path);
        int n = Array.getLength(array);
        MemorySegment list = PyList_New(n);
        if (list.address() == 0) {
            return list;
        }
        try {
            for (int i = 0; i < n; i++) {
                PyList_SetItem(list, i, toPython(Array.get(array, i), depth + 1, path)); // steals
            }
        } catch (RuntimeException e) {
            Py_DecRef(list);
            throw e;
        }
        path.remove(array);
        return list;
    }

    private static MemorySegment dict(Map<?, ?> m, int depth, IdentityHashMap<Object, Boolean> path) {
        enter(m, depth, path);
        MemorySegment dict = PyDict_New();
        if (dict.address() == 0) {
            return dict;
        }
        try {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                MemorySegment key = toPython(e.getKey(), depth + 1, path);
                MemorySegment value;
                try {
                    value = toPython(e.getValue(), depth + 1, path);
                } catch (RuntimeException ex) {
                    Py_DecRef(key);
                    throw ex;
                }
                int rc = PyDict_SetItem(dict, key, value);
                Py_DecRef(key);
                Py_DecRef(value);
                if (rc != 0) {
                    PyErr_Clear();
                    throw new IllegalArgumentException("cannot use a Java " + typeName(e.getKey()) + " as a Python dict key (unhashable)");
                }
            }
        } catch (RuntimeException e) {
            Py_DecRef(dict);
            throw e;
        }
        path.remove(m);
        return dict;
    }

    private static MemorySegment set(Set<?> s, int depth, IdentityHashMap<Object, Boolean> path) {
        enter(s, depth, path);
        MemorySegment set = PySet_New(MemorySegment.NULL);
        if (set.address() == 0) {
            return set;
        }
        try {
            for (Object item : s) {
                MemorySegment element = toPython(item, depth + 1, path);
                int rc = PySet_Add(set, element);
                Py_DecRef(element);
                if (rc != 0) {
                    PyErr_Clear();
                    throw new IllegalArgumentException("cannot put a Java " + typeName(item) + " in a Python set (unhashable)");
                }
            }
        } catch (RuntimeException e) {
            Py_DecRef(set);
            throw e;
        }
        path.remove(s);
        return set;
    }

    private static String typeName(Object o) {
        return o == null ? "null" : o.getClass().getName();
    }

    private static void enter(Object container, int depth, IdentityHashMap<Object, Boolean> path) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("Java value nested deeper than " + MAX_DEPTH + " levels");
        }
        if (path.put(container, Boolean.TRUE) != null) {
            throw new IllegalArgumentException("Java " + container.getClass().getName() + " contains itself; a cycle cannot be converted");
        }
    }

    /**
     * Java objects the value table does not convert: the interop layer lends them to Python as
     * stand-ins ({@code pyhost.JavaObject}) and takes them back. GIL held for every method.
     */
    public interface Foreign {
        /** What {@link #lentObject} answers for a Python object that is no stand-in. */
        Object NOT_FOREIGN = new Object();

        /** A new reference to a stand-in for {@code object} (taken over by the converter), or null when it is not lent to Python (then refused). */
        PyRef toPython(Object object);

        /** The type of {@code in}'s stand-ins (held by {@code in}, not the caller's to close), or null. */
        PyRef standInType(PythonInterpreter in);

        /**
         * The Java object {@code in}'s stand-in with reference {@code ref} lends ({@code ref} 0: the
         * stand-in had none); throws {@link IllegalArgumentException} when it is lent no longer.
         */
        Object lentObject(PythonInterpreter in, long ref);
    }

    private static volatile Foreign foreign;

    /** Installs the handler of Java objects the table does not convert (one per core). */
    public static void setForeign(Foreign handler) {
        foreign = handler;
    }

    /**
     * A conversion step failed with a Python exception that is still raised; the caller turns
     * it into a {@link io.pyhost.api.PyException} with {@link PyErrors#fetch}.
     */
    public static final class ConversionException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ConversionException() {
            super("a Python exception was raised during conversion", null, false, false);
        }
    }
}
