package io.pyhost.jep.internal;

import jep.python.PyObject;

/**
 * How this package makes and reads {@link PyObject}s, whose constructor Jep keeps out of the
 * public API: {@code jep.python.PyObject} installs the one implementation when its class is
 * initialized.
 */
public abstract class ObjectAccess {
    private static volatile ObjectAccess instance;

    /** Called once, by {@code jep.python.PyObject}'s static initializer. */
    public static void install(ObjectAccess access) {
        instance = access;
    }

    static ObjectAccess get() {
        ObjectAccess a = instance;
        if (a == null) {
            try {
                Class.forName(PyObject.class.getName(), true, PyObject.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = instance;
        }
        return a;
    }

    /** A new {@code PyObject} (a {@code PyCallable} when {@code callable}) of {@code session} over {@code handle}. */
    protected abstract PyObject make(Session session, io.pyhost.api.PyObject handle, boolean callable);

    /** The interpreter {@code object} belongs to. */
    protected abstract Session session(PyObject object);

    /** pyhost's handle behind {@code object}. */
    protected abstract io.pyhost.api.PyObject handle(PyObject object);
}
