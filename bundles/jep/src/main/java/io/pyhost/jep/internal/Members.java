package io.pyhost.jep.internal;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The public methods, fields and constructors of a Java class as Python uses them, and the choice
 * among overloads: by argument count (Java varargs included), then by how well each Python value
 * fits each parameter ({@link Codec#cost}); the first of equally good candidates (in a stable
 * order) wins, as in Jep. Members are reached through public types only.
 */
final class Members {
    private static final ClassValue<Members> OF = new ClassValue<>() {
        @Override
        protected Members computeValue(Class<?> type) {
            return new Members(type);
        }
    };

    final Map<String, List<Method>> instanceMethods = new TreeMap<>();
    final Map<String, List<Method>> staticMethods = new TreeMap<>();
    final Map<String, Field> instanceFields = new TreeMap<>();
    final Map<String, Field> staticFields = new TreeMap<>();
    final List<Constructor<?>> constructors = new ArrayList<>();

    private Members(Class<?> type) {
        Map<String, Map<String, Method>> instance = new LinkedHashMap<>();
        Map<String, Map<String, Method>> statics = new LinkedHashMap<>();
        if (Modifier.isPublic(type.getModifiers())) {
            for (Method m : type.getMethods()) {
                collect(m, Modifier.isStatic(m.getModifiers()) ? statics : instance);
            }
            for (Field f : type.getFields()) {
                (Modifier.isStatic(f.getModifiers()) ? staticFields : instanceFields).putIfAbsent(f.getName(), f);
            }
            if (!Modifier.isAbstract(type.getModifiers())) {
                constructors.addAll(Arrays.asList(type.getConstructors()));
                constructors.sort((a, b) -> Arrays.toString(a.getParameterTypes()).compareTo(Arrays.toString(b.getParameterTypes())));
            }
        } else { // a non-public class (a JDK implementation class, a lambda): through its public supertypes
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                publicMethods(c, instance);
            }
        }
        instance.forEach((name, sigs) -> instanceMethods.put(name, sorted(sigs)));
        statics.forEach((name, sigs) -> staticMethods.put(name, sorted(sigs)));
    }

    private static void publicMethods(Class<?> c, Map<String, Map<String, Method>> into) {
        if (Modifier.isPublic(c.getModifiers())) {
            for (Method m : c.getMethods()) {
                if (!Modifier.isStatic(m.getModifiers())) {
                    collect(m, into);
                }
            }
        }
        for (Class<?> i : c.getInterfaces()) {
            publicMethods(i, into);
        }
    }

    private static void collect(Method m, Map<String, Map<String, Method>> into) {
        if (!Modifier.isPublic(m.getDeclaringClass().getModifiers()) || m.isSynthetic()) {
            return;
        }
        String sig = Arrays.toString(m.getParameterTypes());
        Map<String, Method> named = into.computeIfAbsent(m.getName(), k -> new LinkedHashMap<>());
        Method known = named.get(sig);
        if (known == null || known.getReturnType().isAssignableFrom(m.getReturnType()) && known.getReturnType() != m.getReturnType()) {
            named.put(sig, m);
        }
    }

    private static List<Method> sorted(Map<String, Method> sigs) {
        List<Method> out = new ArrayList<>(sigs.values());
        out.sort((a, b) -> Arrays.toString(a.getParameterTypes()).compareTo(Arrays.toString(b.getParameterTypes())));
        return Collections.unmodifiableList(out);
    }

    static Members of(Class<?> type) {
        return OF.get(type);
    }

    /** [method names, field names] of instances ({@code statics} false) or of the class. */
    List<Object> names(boolean statics) {
        return Arrays.asList(new ArrayList<>((statics ? staticMethods : instanceMethods).keySet()),
                new ArrayList<>((statics ? staticFields : instanceFields).keySet()));
    }

    /** Calls the best of {@code candidates} on {@code target} with the raw Python arguments. */
    static Object invoke(Codec codec, String label, List<? extends Executable> candidates, Object target, List<Object> raw)
            throws Throwable {
        Executable chosen = null;
        long best = Long.MAX_VALUE;
        for (Executable e : candidates) {
            long cost = cost(codec, e, raw);
            if (cost < best) {
                best = cost;
                chosen = e;
            }
        }
        if (chosen == null) {
            String given = raw.stream().map(Codec::pythonName).collect(Collectors.joining(", ", "(", ")"));
            throw JavaThrown.python("TypeError", label + " takes no arguments " + given + "; its overloads: "
                    + candidates.stream().map(Members::signature).sorted().collect(Collectors.joining("; ")));
        }
        Object[] args = arguments(codec, chosen, raw);
        try {
            if (chosen instanceof Constructor<?> c) {
                return c.newInstance(args);
            }
            return ((Method) chosen).invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } catch (IllegalAccessException e) {
            throw JavaThrown.python("TypeError", label + ": " + signature(chosen) + " cannot be called (" + e.getMessage() + ")");
        }
    }

    private static long cost(Codec codec, Executable e, List<Object> raw) {
        Type[] types = e.getGenericParameterTypes();
        int n = types.length;
        if (!e.isVarArgs() && raw.size() != n || e.isVarArgs() && raw.size() < n - 1) {
            return Long.MAX_VALUE;
        }
        long total = 0;
        int fixed = e.isVarArgs() ? n - 1 : n;
        for (int i = 0; i < fixed; i++) {
            int c = codec.cost(raw.get(i), types[i]);
            if (c == Codec.NO) {
                return Long.MAX_VALUE;
            }
            total += c;
        }
        if (e.isVarArgs()) {
            if (raw.size() == n && codec.cost(raw.get(n - 1), types[n - 1]) != Codec.NO) {
                return total + codec.cost(raw.get(n - 1), types[n - 1]) + 1; // the array itself given
            }
            Class<?> component = e.getParameterTypes()[n - 1].getComponentType();
            for (int i = fixed; i < raw.size(); i++) {
                int c = codec.cost(raw.get(i), component);
                if (c == Codec.NO) {
                    return Long.MAX_VALUE;
                }
                total += c;
            }
            total += 10; // an exact arity wins over varargs
        }
        return total;
    }

    private static Object[] arguments(Codec codec, Executable e, List<Object> raw) {
        Type[] types = e.getGenericParameterTypes();
        int n = types.length;
        Object[] out = new Object[n];
        boolean packed = e.isVarArgs() && !(raw.size() == n && codec.cost(raw.get(n - 1), types[n - 1]) != Codec.NO);
        int fixed = packed ? n - 1 : n;
        for (int i = 0; i < fixed; i++) {
            out[i] = codec.fit(raw.get(i), types[i]);
        }
        if (packed) {
            Class<?> component = e.getParameterTypes()[n - 1].getComponentType();
            Object array = java.lang.reflect.Array.newInstance(component, raw.size() - fixed);
            for (int i = fixed; i < raw.size(); i++) {
                java.lang.reflect.Array.set(array, i - fixed, codec.fit(raw.get(i), component));
            }
            out[n - 1] = array;
        }
        return out;
    }

    static String signature(Executable e) {
        return e.getName() + Arrays.stream(e.getGenericParameterTypes()).map(Type::getTypeName).collect(Collectors.joining(", ", "(", ")"));
    }
}
