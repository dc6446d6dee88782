package io.pyhost.core.interop;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The Java methods Python may call on an object, by name, and the choice among overloads.
 *
 * <p>Callable are the public instance methods declared by the object's public classes and
 * public interfaces (a method of a non-public class is reached through the public type that
 * declares it, so it can be invoked). {@code getClass}, {@code wait}, {@code notify} and
 * {@code notifyAll} are never offered: the first leads to reflection, the others to monitors.
 *
 * <p>An overload is chosen by argument count, then by how well each Python value fits each
 * parameter type ({@link Coercion#cost}); two equally good candidates make the call ambiguous,
 * and the {@code TypeError} names them.
 */
final class JavaMethods {
    private static final Set<String> HIDDEN = Set.of("getClass", "wait", "notify", "notifyAll");

    private static final ClassValue<Map<String, List<Method>>> OF_CLASS = new ClassValue<>() {
        @Override
        protected Map<String, List<Method>> computeValue(Class<?> type) {
            return collect(type, null);
        }
    };

    private JavaMethods() {
    }

    /** The callable methods of instances of {@code type}, by name (sorted). */
    static Map<String, List<Method>> of(Class<?> type) {
        return OF_CLASS.get(type);
    }

    /**
     * The callable methods of {@code type} that {@code only} (a type {@code type} has, by name)
     * declares or inherits: a service is called through the interface it was asked for.
     */
    static Map<String, List<Method>> of(Class<?> type, Class<?> only) {
        return only == null ? of(type) : collect(type, only);
    }

    private static Map<String, List<Method>> collect(Class<?> type, Class<?> only) {
        Map<String, Map<String, Method>> bySignature = new TreeMap<>();
        for (Class<?> c : publicTypes(only != null ? only : type)) {
            for (Method m : c.getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || HIDDEN.contains(m.getName()) || !Modifier.isPublic(m.getDeclaringClass().getModifiers())) {
                    continue;
                }
                String signature = java.util.Arrays.toString(m.getParameterTypes());
                Map<String, Method> named = bySignature.computeIfAbsent(m.getName(), k -> new LinkedHashMap<>());
                Method known = named.get(signature);
                if (known == null || known.getReturnType().isAssignableFrom(m.getReturnType()) && known.getReturnType() != m.getReturnType()) {
                    named.put(signature, m); // a covariant override: the more specific return type
                }
            }
        }
        Map<String, List<Method>> out = new TreeMap<>();
        bySignature.forEach((name, sigs) -> out.put(name, List.copyOf(sigs.values())));
        return Collections.unmodifiableMap(out);
    }

    /** {@code type} itself if public, and its public supertypes (classes and interfaces), nearest first. */
    private static List<Class<?>> publicTypes(Class<?> type) {
        List<Class<?>> out = new ArrayList<>();
        Set<Class<?>> seen = new HashSet<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(type));
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (!seen.add(c)) {
                continue;
            }
            if (Modifier.isPublic(c.getModifiers())) {
                out.add(c);
            }
            if (c.getSuperclass() != null) {
                todo.add(c.getSuperclass());
            }
            todo.addAll(List.of(c.getInterfaces()));
        }
        return out;
    }

    /** Thrown for a call that names no callable method or matches no (or several) overloads; becomes a Python TypeError. */
    static final class NoSuchCall extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        NoSuchCall(String message) {
            super(message);
        }
    }

    /**
     * Calls {@code name} on {@code target} with the Python arguments {@code args}; throws
     * {@link NoSuchCall} when no overload fits, and what the method throws (unwrapped).
     */
    static Object invoke(Object target, Map<String, List<Method>> methods, String label, String name, List<Object> args) throws Throwable {
        List<Method> named = methods.get(name);
        if (named == null) {
            throw new NoSuchCall(label + " has no public method '" + name + "'");
        }
        Method chosen = choose(label, name, named, args);
        Object[] javaArgs = new Object[args.size()];
        Type[] types = chosen.getGenericParameterTypes();
        try {
            for (int i = 0; i < javaArgs.length; i++) {
                javaArgs[i] = Coercion.fit(args.get(i), types[i], label + "." + name + " argument " + (i + 1));
            }
        } catch (IllegalArgumentException e) {
            throw new NoSuchCall(e.getMessage()); // an element of a collection does not fit
        }
        try {
            return chosen.invoke(target, javaArgs);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } catch (IllegalAccessException e) {
            throw new NoSuchCall(label + ": " + chosen.toGenericString() + " cannot be called from pyhost (" + e.getMessage() + ")");
        }
    }

    private static Method choose(String label, String name, List<Method> named, List<Object> args) {
        Method best = null;
        long bestCost = Long.MAX_VALUE;
        List<Method> tied = new ArrayList<>();
        for (Method m : named) {
            if (m.getParameterCount() != args.size()) {
                continue;
            }
            long cost = 0;
            Type[] types = m.getGenericParameterTypes();
            for (int i = 0; i < types.length && cost != Coercion.NO; i++) {
                int c = Coercion.cost(args.get(i), types[i]);
                cost = c == Coercion.NO ? Coercion.NO : cost + c;
            }
            if (cost == Coercion.NO) {
                continue;
            }
            if (cost < bestCost) {
                best = m;
                bestCost = cost;
                tied.clear();
                tied.add(m);
            } else if (cost == bestCost) {
                tied.add(m);
            }
        }
        String given = args.stream().map(Coercion::pythonName).collect(Collectors.joining(", ", "(", ")"));
        if (best == null) {
            throw new NoSuchCall(label + "." + name + " takes no arguments " + given + "; its overloads: " + signatures(named));
        }
        if (tied.size() > 1) {
            throw new NoSuchCall(label + "." + name + given + " is ambiguous between " + signatures(tied));
        }
        return best;
    }

    private static String signatures(List<Method> methods) {
        return methods.stream().map(m -> m.getName() + java.util.Arrays.stream(m.getGenericParameterTypes())
                .map(Type::getTypeName).collect(Collectors.joining(", ", "(", ")"))).sorted().collect(Collectors.joining("; "));
    }
}
