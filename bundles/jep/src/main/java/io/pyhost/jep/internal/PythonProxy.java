package io.pyhost.jep.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.UndeclaredThrowableException;

import jep.JepException;
import jep.python.PyObject;

/**
 * Java interfaces implemented by a Python object ({@code PyObject.proxy}, {@code jep.jproxy}, a
 * Python callable passed where a functional interface is expected). A call runs the Python
 * object's method of the same name (for a functional interface: the object itself) in the
 * object's interpreter; a method the object lacks runs the interface's default, if it has one,
 * or fails with {@link UndeclaredThrowableException} around a {@link JepException}, as in Jep.
 */
final class PythonProxy implements InvocationHandler {
    private final Session session;
    private final PyObject target;
    private final boolean functional;

    PythonProxy(Session session, PyObject target, boolean functional) {
        this.session = session;
        this.target = target;
        this.functional = functional;
    }

    PyObject target() {
        return target;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "toString" -> target.toString();
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(method.toString());
            };
        }
        Object[] given = args == null ? new Object[0] : args;
        boolean abstractMethod = java.lang.reflect.Modifier.isAbstract(method.getModifiers());
        if (functional && abstractMethod) {
            return session.callForJava(target, null, given, method.getGenericReturnType());
        }
        try {
            return session.callForJava(target, method.getName(), given, method.getGenericReturnType());
        } catch (JepException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("<class 'AttributeError'>") && !session.hasMethod(target, method.getName())) {
                if (method.isDefault()) {
                    return InvocationHandler.invokeDefault(proxy, method, args);
                }
                throw new UndeclaredThrowableException(e, "the Python object has no method '" + method.getName() + "'");
            }
            throw e;
        }
    }
}
