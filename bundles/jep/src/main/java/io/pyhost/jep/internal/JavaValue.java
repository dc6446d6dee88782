package io.pyhost.jep.internal;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A Java object lent to Python by a jep interpreter (pyhost lends this holder as a
 * {@code pyhost.JavaObject}; pyhost-jep's Python proxy calls these methods). Every method takes
 * and gives values as {@link Codec} encodes them, and fails with {@link JavaThrown}.
 */
public final class JavaValue {
    private final Session session;
    private final Object target;

    JavaValue(Session session, Object target) {
        this.session = session;
        this.target = target;
    }

    Object target() {
        return target;
    }

    /** [method names, field names] of the object's class. */
    public List<Object> members() {
        if (target.getClass().isArray()) {
            return List.of(List.of(), List.of("length"));
        }
        return Members.of(target.getClass()).names(false);
    }

    /** {@code target.name(args)}. */
    public List<Object> call(String name, List<Object> args) {
        return session.guardJava(() -> {
            List<Method> methods = Members.of(target.getClass()).instanceMethods.get(name);
            if (methods == null) {
                throw JavaThrown.python("AttributeError", "'" + target.getClass().getName() + "' object has no public method '" + name + "'");
            }
            return session.codec().envelope(Members.invoke(session.codec(), target.getClass().getName() + "." + name, methods, target,
                    rawArgs(args)), false);
        });
    }

    /** {@code target.field}. */
    public List<Object> get(String name) {
        return session.guardJava(() -> {
            if (target.getClass().isArray() && name.equals("length")) {
                return session.codec().envelope(Array.getLength(target), false);
            }
            return session.codec().envelope(field(name).get(target), false);
        });
    }

    /** {@code target.field = value}. */
    public void put(String name, Object value) {
        session.guardJava(() -> {
            Field f = field(name);
            f.set(target, session.codec().fit(session.codec().raw(value), f.getGenericType()));
            return null;
        });
    }

    private Field field(String name) {
        Field f = Members.of(target.getClass()).instanceFields.get(name);
        if (f == null) {
            throw JavaThrown.python("AttributeError", "'" + target.getClass().getName() + "' object has no public field '" + name + "'");
        }
        return f;
    }

    /** {@code target.toString()}. */
    public String str() {
        return session.guardJava(() -> target.getClass().isArray() ? arrayText() : String.valueOf(target));
    }

    private String arrayText() {
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < Array.getLength(target); i++) {
            items.add(Array.get(target, i));
        }
        return items.toString();
    }

    /** {@code target.hashCode()}. */
    public long hash() {
        return session.guardJava(() -> (long) target.hashCode());
    }

    /** {@code target.equals(other)}. */
    public boolean same(Object other) {
        return session.guardJava(() -> target.equals(session.codec().plain(session.codec().raw(other))));
    }

    /** The number of elements (array, collection, map). */
    public long length() {
        return session.guardJava(() -> (long) switch (target) {
            case Collection<?> c -> c.size();
            case Map<?, ?> m -> m.size();
            default -> Array.getLength(target);
        });
    }

    /** Element {@code key}: an index of an array or list, a key of a map. */
    public List<Object> item(Object key) {
        return session.guardJava(() -> session.codec().envelope(switch (target) {
            case List<?> l -> l.get(index(key));
            case Map<?, ?> m -> m.get(session.codec().plain(session.codec().raw(key)));
            default -> Array.get(target, index(key));
        }, false));
    }

    /** Sets element {@code key}. */
    @SuppressWarnings("unchecked")
    public void setItem(Object key, Object value) {
        session.guardJava(() -> {
            Object v = session.codec().raw(value);
            switch (target) {
                case List<?> l -> ((List<Object>) l).set(index(key), session.codec().plain(v));
                case Map<?, ?> m -> ((Map<Object, Object>) m).put(session.codec().plain(session.codec().raw(key)), session.codec().plain(v));
                default -> Array.set(target, index(key), session.codec().fit(v, target.getClass().getComponentType()));
            }
            return null;
        });
    }

    /** Whether the collection holds {@code item} (a map: as a key). */
    public boolean holds(Object item) {
        return session.guardJava(() -> {
            Object v = session.codec().plain(session.codec().raw(item));
            return switch (target) {
                case Collection<?> c -> c.contains(v);
                case Map<?, ?> m -> m.containsKey(v);
                default -> {
                    for (int i = 0; i < Array.getLength(target); i++) {
                        if (java.util.Objects.equals(Array.get(target, i), v)) {
                            yield true;
                        }
                    }
                    yield false;
                }
            };
        });
    }

    /** The elements (a map: its keys), each an envelope: what Python iterates. */
    public List<Object> items() {
        return session.guardJava(() -> {
            List<Object> out = new ArrayList<>();
            Iterable<?> it = switch (target) {
                case Map<?, ?> m -> m.keySet();
                case Iterable<?> i -> i;
                default -> {
                    List<Object> elements = new ArrayList<>();
                    for (int i = 0; i < Array.getLength(target); i++) {
                        elements.add(Array.get(target, i));
                    }
                    yield elements;
                }
            };
            for (Object o : it) {
                out.add(session.codec().envelope(o, false));
            }
            return out;
        });
    }

    private static int index(Object key) {
        if (!(key instanceof Long l) || l != (int) (long) l) {
            throw JavaThrown.python("TypeError", "a Java index must be an int, not " + Codec.pythonName(key));
        }
        return (int) (long) l;
    }

    private List<Object> rawArgs(List<Object> args) {
        List<Object> raw = new ArrayList<>(args.size());
        for (Object a : args) {
            raw.add(session.codec().raw(a));
        }
        return raw;
    }

    @Override
    public String toString() {
        return "jep holder of " + target.getClass().getName();
    }
}
