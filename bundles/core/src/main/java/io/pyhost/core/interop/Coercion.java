package io.pyhost.core.interop;

import java.lang.reflect.Array;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fits a value Python gave (as the value table made it: Long, BigInteger, Double, String,
 * Boolean, byte[], List, Map, Set, null, or a Java object a {@code pyhost.JavaObject} stood for)
 * to a Java type: a method parameter, or the return type of a method Python implements.
 *
 * <p>{@link #cost} ranks how well a value fits a type (overloads are chosen by it); {@link #fit}
 * converts. A narrowing that would lose information never happens: {@code 2**40} does not fit an
 * {@code int}, {@code 1.5} no {@code long}, {@code 'ab'} no {@code char}. Generic collection
 * types ({@code List<Integer>}, {@code Map<String, Long>}) are fitted element by element.
 */
final class Coercion {
    /** A value that does not fit. */
    static final int NO = Integer.MAX_VALUE;

    private Coercion() {
    }

    /** How well {@code value} fits {@code type}: 0 exactly, higher is looser, {@link #NO} not at all. */
    static int cost(Object value, Type type) {
        Class<?> raw = raw(type);
        if (value == null) {
            return raw.isPrimitive() ? NO : raw == Object.class ? 2 : 1;
        }
        if (raw == Object.class) {
            return 4;
        }
        if (raw.isPrimitive() ? box(raw) == value.getClass() : raw == value.getClass()) {
            return 0;
        }
        return switch (value) {
            case Long l -> integral(l, raw);
            case BigInteger big -> raw == BigInteger.class ? 0 : raw == Number.class ? 2 : NO;
            case Double d -> raw == float.class || raw == Float.class ? (fitsFloat(d) ? 1 : NO) : raw == Number.class ? 2 : NO;
            case String s -> raw == CharSequence.class ? 1
                    : (raw == char.class || raw == Character.class) && s.length() == 1 ? 1
                    : raw.isEnum() && enumConstant(raw, s) != null ? 1 : NO;
            case List<?> list -> raw.isAssignableFrom(ArrayList.class) ? 1 : raw.isArray() && elementsFit(list, raw.getComponentType()) ? 2 : NO;
            case Set<?> set -> raw.isAssignableFrom(LinkedHashSet.class) ? 1 : NO;
            case Map<?, ?> map -> raw.isAssignableFrom(LinkedHashMap.class) ? 1 : NO;
            default -> raw.isInstance(value) ? 1 : NO;
        };
    }

    private static int integral(long l, Class<?> raw) {
        if (raw == int.class || raw == Integer.class) {
            return l == (int) l ? 1 : NO;
        }
        if (raw == short.class || raw == Short.class) {
            return l == (short) l ? 1 : NO;
        }
        if (raw == byte.class || raw == Byte.class) {
            return l == (byte) l ? 1 : NO;
        }
        if (raw == BigInteger.class) {
            return 1;
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            return 3; // an int where a float is wanted, as Python allows
        }
        return raw == Number.class ? 2 : NO;
    }

    private static boolean fitsFloat(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) || Math.abs(d) <= Float.MAX_VALUE;
    }

    private static boolean elementsFit(List<?> list, Class<?> component) {
        for (Object item : list) {
            if (cost(item, component) == NO) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code value} as a {@code type}; throws {@link IllegalArgumentException} naming {@code what}
     * when it does not fit.
     */
    static Object fit(Object value, Type type, String what) {
        Class<?> raw = raw(type);
        if (cost(value, type) == NO) {
            throw new IllegalArgumentException(what + ": " + describe(value) + " does not fit " + type.getTypeName()
                    + (value instanceof Long || value instanceof Double ? " (no narrowing that loses information)" : ""));
        }
        if (value == null) {
            return null;
        }
        return switch (value) {
            case Long l when raw == int.class || raw == Integer.class -> (int) (long) l;
            case Long l when raw == short.class || raw == Short.class -> (short) (long) l;
            case Long l when raw == byte.class || raw == Byte.class -> (byte) (long) l;
            case Long l when raw == double.class || raw == Double.class -> (double) l;
            case Long l when raw == float.class || raw == Float.class -> (float) l;
            case Long l when raw == BigInteger.class -> BigInteger.valueOf(l);
            case Double d when raw == float.class || raw == Float.class -> (float) (double) d;
            case String s when raw == char.class || raw == Character.class -> s.charAt(0);
            case String s when raw.isEnum() -> enumConstant(raw, s);
            case List<?> list when raw.isArray() -> array(list, raw.getComponentType(), what);
            case List<?> list -> elements(list, typeArgument(type, 0), new ArrayList<>(list.size()), what);
            case Set<?> set -> elements(set, typeArgument(type, 0), new LinkedHashSet<>(), what);
            case Map<?, ?> map -> entries(map, typeArgument(type, 0), typeArgument(type, 1), what);
            default -> value;
        };
    }

    private static <C extends Collection<Object>> C elements(Collection<?> in, Type element, C out, String what) {
        for (Object item : in) {
            out.add(element == null ? item : fit(item, element, what + " (an element)"));
        }
        return out;
    }

    private static Map<Object, Object> entries(Map<?, ?> in, Type key, Type value, String what) {
        Map<Object, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : in.entrySet()) {
            out.put(key == null ? e.getKey() : fit(e.getKey(), key, what + " (a key)"),
                    value == null ? e.getValue() : fit(e.getValue(), value, what + " (a value)"));
        }
        return out;
    }

    private static Object array(List<?> list, Class<?> component, String what) {
        Object out = Array.newInstance(component, list.size());
        for (int i = 0; i < list.size(); i++) {
            Array.set(out, i, fit(list.get(i), component, what + " (an element)"));
        }
        return out;
    }

    /** The {@code index}th type argument of a parameterized collection type, or null (raw, wildcard without bound: anything). */
    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType p && p.getActualTypeArguments().length > index) {
            Type arg = p.getActualTypeArguments()[index];
            if (arg instanceof WildcardType w) {
                return w.getUpperBounds().length == 1 && w.getUpperBounds()[0] != Object.class ? w.getUpperBounds()[0] : null;
            }
            return arg instanceof Class<?> || arg instanceof ParameterizedType ? arg : null;
        }
        return null;
    }

    static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class; // a type variable or wildcard: anything, after erasure
    }

    private static Class<?> box(Class<?> primitive) {
        return switch (primitive.getName()) {
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

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> type, String name) {
        try {
            return Enum.valueOf((Class) type, name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A value as Python gave it, for messages: its Java type and (short) value. */
    static String describe(Object value) {
        if (value == null) {
            return "None";
        }
        String text;
        try {
            text = String.valueOf(value);
        } catch (RuntimeException e) {
            text = "?";
        }
        if (text.length() > 40) {
            text = text.substring(0, 37) + "...";
        }
        return pythonName(value) + " " + text;
    }

    /** The Python type a converted value came from. */
    static String pythonName(Object value) {
        return switch (value) {
            case null -> "None";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Boolean b -> "bool";
            case byte[] b -> "bytes";
            case List<?> l -> "list";
            case Set<?> s -> "set";
            case Map<?, ?> m -> "dict";
            default -> "Java " + value.getClass().getName();
        };
    }
}
