package jep.python;

import io.pyhost.jep.internal.ObjectAccess;
import io.pyhost.jep.internal.Session;
import jep.JepException;

/**
 * A Python object held by Java (Jep 4.2.2), on a pyhost object handle: it keeps the object alive
 * until {@link #close()} or until its interpreter closes; then every method but {@code close}
 * throws {@link JepException}.
 *
 * <p><b>Threads (better than Jep).</b> Usable from any thread (Jep throws on any but the
 * interpreter's); each method is one call of its interpreter, serialized with its other calls.
 * {@link #equals} is Python's {@code ==} with another {@code PyObject}, {@link #hashCode} Jep's
 * {@code Long.hashCode(hash(obj))} (identity for unhashable objects), {@link #toString} Python's
 * {@code str()}. A closed object (or one whose interpreter closed) throws Jep's
 * {@code "PyObject has been closed."}.
 */
public class PyObject implements AutoCloseable {
    static {
        ObjectAccess.install(new ObjectAccess() {
            @Override
            protected PyObject make(Session session, io.pyhost.api.PyObject handle, boolean callable) {
                return callable ? new PyCallable(session, handle) : new PyObject(session, handle);
            }

            @Override
            protected Session session(PyObject object) {
                return object.session;
            }

            @Override
            protected io.pyhost.api.PyObject handle(PyObject object) {
                object.checkOpen();
                return object.handle;
            }
        });
    }

    private final Session session;
    private final io.pyhost.api.PyObject handle;
    private volatile boolean closed;

    PyObject(Session session, io.pyhost.api.PyObject handle) {
        this.session = session;
        this.handle = handle;
    }

    final Session session() {
        return session;
    }

    final io.pyhost.api.PyObject handle() {
        checkOpen();
        return handle;
    }

    private void checkOpen() {
        if (closed || session.isClosed()) { // Jep's message, for both: closing the interpreter disposes its objects
            throw new JepException(getClass().getSimpleName() + " has been closed.");
        }
    }

    /** Releases the Python object; idempotent. */
    @Override
    public void close() throws JepException {
        if (!closed) {
            closed = true;
            try {
                handle.close();
            } catch (RuntimeException e) {
                // its interpreter closed first: the object is released already
            }
        }
    }

    /** {@code getattr(obj, name)}, converted as {@link jep.Interpreter#getValue(String)} does. */
    public Object getAttr(String attrName) throws JepException {
        return session.getAttr(handle(), attrName, null);
    }

    /** {@code getattr(obj, name)} as {@code clazz}. */
    @SuppressWarnings("unchecked")
    public <T> T getAttr(String attrName, Class<T> clazz) throws JepException {
        if (clazz == null) {
            throw new JepException("clazz must not be null");
        }
        return (T) session.getAttr(handle(), attrName, clazz);
    }

    /** {@code setattr(obj, name, value)}. */
    public void setAttr(String attrName, Object value) throws JepException {
        session.setAttr(handle(), attrName, value);
    }

    /** {@code delattr(obj, name)}. */
    public void delAttr(String attrName) throws JepException {
        session.delAttr(handle(), attrName);
    }

    /** Python's {@code ==} with another {@code PyObject} of the same interpreter; false for anything else. */
    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof PyObject other) || other.session != session) {
            return false;
        }
        return session.pyEquals(handle(), other);
    }

    /** Python's {@code str(obj)}. */
    @Override
    public String toString() {
        return session.str(handle());
    }

    /** {@code Long.hashCode(hash(obj))} as in Jep, or identity for an unhashable object. */
    @Override
    public int hashCode() {
        return session.hash(handle());
    }

    /**
     * A Java object implementing {@code primaryInterface} (and {@code extraInterfaces}) by calling
     * this object's methods of the same names. A method the object lacks runs the interface's
     * default method, or throws {@link java.lang.reflect.UndeclaredThrowableException}. A class
     * that is not an interface: {@link IllegalArgumentException}, as {@link java.lang.reflect.Proxy}
     * throws it in Jep.
     */
    @SuppressWarnings("unchecked")
    public <T> T proxy(Class<T> primaryInterface, Class<?>... extraInterfaces) throws JepException {
        if (primaryInterface == null) {
            throw new JepException("primaryInterface must not be null");
        }
        checkOpen();
        Class<?>[] all = new Class<?>[1 + (extraInterfaces == null ? 0 : extraInterfaces.length)];
        all[0] = primaryInterface;
        if (extraInterfaces != null) {
            System.arraycopy(extraInterfaces, 0, all, 1, extraInterfaces.length);
        }
        return (T) session.proxy(this, false, all);
    }

    /** The object converted to {@code expectedType} (e.g. a list to {@code int[]}). */
    @SuppressWarnings("unchecked")
    public <T> T as(Class<T> expectedType) throws JepException {
        return (T) session.as(handle(), expectedType);
    }
}
