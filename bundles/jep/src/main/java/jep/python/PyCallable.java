package jep.python;

import java.util.Map;

import io.pyhost.jep.internal.Session;
import jep.JepException;

/**
 * A Python callable held by Java (Jep 4.2.2): a function, a bound method, a class. Arguments go
 * to Python as {@link jep.Interpreter#set} sends values; the result comes back as
 * {@link jep.Interpreter#getValue(String)} converts, or as the class given to {@code callAs}.
 */
public class PyCallable extends PyObject {

    PyCallable(Session session, io.pyhost.api.PyObject handle) {
        super(session, handle);
    }

    /** {@code obj(*args)}. */
    public Object call(Object... args) throws JepException {
        return session().call(handle(), args, null, null);
    }

    /** {@code obj(*args)} as {@code expectedType}. */
    @SuppressWarnings("unchecked")
    public <T> T callAs(Class<T> expectedType, Object... args) throws JepException {
        return (T) session().call(handle(), args, null, require(expectedType));
    }

    /** {@code obj(**kwargs)}. */
    public Object call(Map<String, Object> kwargs) throws JepException {
        return session().call(handle(), null, kwargs, null);
    }

    /** {@code obj(**kwargs)} as {@code expectedType}. */
    @SuppressWarnings("unchecked")
    public <T> T callAs(Class<T> expectedType, Map<String, Object> kwargs) throws JepException {
        return (T) session().call(handle(), null, kwargs, require(expectedType));
    }

    /** {@code obj(*args, **kwargs)}. */
    public Object call(Object[] args, Map<String, Object> kwargs) throws JepException {
        return session().call(handle(), args, kwargs, null);
    }

    /** {@code obj(*args, **kwargs)} as {@code expectedType}. */
    @SuppressWarnings("unchecked")
    public <T> T callAs(Class<T> expectedType, Object[] args, Map<String, Object> kwargs) throws JepException {
        return (T) session().call(handle(), args, kwargs, require(expectedType));
    }

    private static Class<?> require(Class<?> type) {
        if (type == null) {
            throw new JepException("expectedType must not be null");
        }
        return type;
    }
}
