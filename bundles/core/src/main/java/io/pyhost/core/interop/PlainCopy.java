package io.pyhost.core.interop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pyhost.core.bridge.Values;

/**
 * A copy of a Java function's result in plain JDK containers, made before the GIL is taken
 * back: a collection's own code ({@code iterator()}, {@code entrySet()}) runs here, where it can
 * hold up nobody but its caller, and {@link Values#toPython} then walks only
 * {@link ArrayList}, {@link LinkedHashMap} and {@link LinkedHashSet}. Leaves, arrays and
 * anything the value table does not know are kept as they are; cycles and nesting deeper than
 * {@link Values#MAX_DEPTH} are refused as the value table refuses them.
 */
final class PlainCopy {
    private PlainCopy() {
    }

    static Object of(Object value) {
        if (!(value instanceof Collection<?>) && !(value instanceof Map<?, ?>)) {
            return value; // a leaf: nothing to copy, no tracking map to make
        }
        return copy(value, 0, new IdentityHashMap<>());
    }

    private static Object copy(Object value, int depth, IdentityHashMap<Object, Boolean> path) {
        if (!(value instanceof Collection<?>) && !(value instanceof Map<?, ?>)) {
            return value;
        }
        if (depth >= Values.MAX_DEPTH) {
            throw new IllegalArgumentException("Java value nested deeper than " + Values.MAX_DEPTH + " levels");
        }
        if (path.put(value, Boolean.TRUE) != null) {
            throw new IllegalArgumentException("Java " + value.getClass().getName() + " contains itself; a cycle cannot be converted");
        }
        try {
            if (value instanceof Map<?, ?> map) {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.put(copy(e.getKey(), depth + 1, path), copy(e.getValue(), depth + 1, path));
                }
                return out;
            }
            if (value instanceof Set<?> set) {
                Set<Object> out = new LinkedHashSet<>();
                for (Object item : set) {
                    out.add(copy(item, depth + 1, path));
                }
                return out;
            }
            List<Object> out = new ArrayList<>();
            for (Object item : (Collection<?>) value) {
                out.add(copy(item, depth + 1, path));
            }
            return out;
        } finally {
            path.remove(value);
        }
    }
}
