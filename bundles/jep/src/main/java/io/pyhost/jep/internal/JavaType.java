package io.pyhost.jep.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java class lent to Python by a jep interpreter: constructors, static methods and static
 * fields, called by pyhost-jep's Python {@code JavaClass}. Values as {@link Codec} encodes them;
 * failures as {@link JavaThrown}.
 */
public final class JavaType {
    private final Session session;
    private final Class<?> type;

    JavaType(Session session, Class<?> type) {
        this.session = session;
        this.type = type;
    }

    Class<?> type() {
        return type;
    }

    /** [static method names, static field names]. */
    public List<Object> members() {
        return Members.of(type).names(true);
    }

    /** {@code new Type(args)}. */
    public List<Object> construct(List<Object> args) {
        return session.guardJava(() -> {
            Members m = Members.of(type);
            if (m.constructors.isEmpty()) {
                throw JavaThrown.python("TypeError", "Java class '" + type.getName() + "' has no public constructor"
                        + (type.isInterface() || java.lang.reflect.Modifier.isAbstract(type.getModifiers()) ? " (it is abstract)" : ""));
            }
            return session.codec().envelope(Members.invoke(session.codec(), type.getName(), m.constructors, null, raw(args)), false);
        });
    }

    /** {@code Type.name(args)}. */
    public List<Object> call(String name, List<Object> args) {
        return session.guardJava(() -> {
            List<Method> methods = Members.of(type).staticMethods.get(name);
            if (methods == null) {
                throw JavaThrown.python("AttributeError", "Java class '" + type.getName() + "' has no public static method '" + name + "'");
            }
            return session.codec().envelope(Members.invoke(session.codec(), type.getName() + "." + name, methods, null, raw(args)), false);
        });
    }

    /** {@code Type.field}. */
    public List<Object> get(String name) {
        return session.guardJava(() -> session.codec().envelope(field(name).get(null), false));
    }

    /** {@code Type.field = value}. */
    public void put(String name, Object value) {
        session.guardJava(() -> {
            Field f = field(name);
            f.set(null, session.codec().fit(session.codec().raw(value), f.getGenericType()));
            return null;
        });
    }

    private Field field(String name) {
        Field f = Members.of(type).staticFields.get(name);
        if (f == null) {
            throw JavaThrown.python("AttributeError", "Java class '" + type.getName() + "' has no public static field '" + name + "'");
        }
        return f;
    }

    private List<Object> raw(List<Object> args) {
        List<Object> out = new ArrayList<>(args.size());
        for (Object a : args) {
            out.add(session.codec().raw(a));
        }
        return out;
    }

    @Override
    public String toString() {
        return "jep holder of class " + type.getName();
    }
}
