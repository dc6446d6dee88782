package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.MemorySegment;

import io.pyhost.api.PyException;

/** Turns the raised Python exception into a {@link PyException}. GIL held. */
public final class PyErrors {
    private PyErrors() {
    }

    /**
     * Takes the raised exception (clearing it) and describes it with its qualified type,
     * message and full traceback text. A {@code KeyboardInterrupt} caused by {@code call}'s
     * timeout becomes {@code TimeoutError}.
     */
    public static PyException fetch(PythonInterpreter interpreter, InflightCall call) {
        MemorySegment exc = PyErr_GetRaisedException();
        if (exc.address() == 0) {
            return new PyException("builtins.SystemError", "a Python C API call failed without raising an exception", "");
        }
        if (call != null) {
            call.holdRaises(DESCRIBE_HOLD_NANOS);
        }
        try {
            String type = qualifiedType(interpreter, exc);
            String message = describe(interpreter, "exception_message", exc, "");
            String traceback = describe(interpreter, "format_exception", exc, "");
            String notes = describe(interpreter, "exception_notes", exc, "");
            PyException.Kind kind = PyException.Kind.GUEST;
            if (call != null && type.equals("builtins.KeyboardInterrupt")) {
                if (call.timedOut()) {
                    return new PyException("builtins.TimeoutError", "the call ran past its timeout and was interrupted", traceback, null,
                            PyException.Kind.TIMEOUT);
                }
                kind = call.interruptRequested() ? PyException.Kind.INTERRUPTED : kind;
            }
            if (call != null && call.raisedBecause() != null && message.isEmpty()) {
                message = call.raisedBecause(); // an exception pyhost raised asynchronously has no arguments
                kind = type.equals("builtins.MemoryError") ? PyException.Kind.RESOURCE_EXHAUSTED : kind;
            }
            PyException result = new PyException(type, message, traceback, notes, kind);
            Throwable java = type.equals("pyhost.JavaError") || type.equals("pyhost.ServiceUnavailable")
                    ? JavaErrors.take(PyInterpreterState_Get().address(), javaToken(interpreter, exc)) : null;
            if (java != null) {
                result.initCause(java); // a pyhost.JavaError: the Java exception behind it
            }
            return result;
        } finally {
            Py_DecRef(exc);
        }
    }

    /** How long a call's exception may take to be described before the call can be interrupted again. */
    private static final long DESCRIBE_HOLD_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    /**
     * {@code module.qualname} of the exception's type, read with the C API: no Python code runs,
     * so the type (and with it {@link PyException#kind()}) is right even when describing the
     * rest fails.
     */
    private static String qualifiedType(PythonInterpreter interpreter, MemorySegment exc) {
        if (!has_PyType_GetModuleName()) {
            return describe(interpreter, "qualified_type", exc, "builtins.BaseException");
        }
        MemorySegment type = typeOf(exc); // borrowed: exc, which we own, keeps its type alive
        String module = nameOrNull(PyType_GetModuleName(type));
        String qualname = nameOrNull(PyType_GetQualName(type));
        return (module == null || module.isEmpty() ? "builtins" : module) + "." + (qualname == null ? "?" : qualname);
    }

    /** A new reference to a str (or NULL with an exception raised) as a string, or null; released. */
    private static String nameOrNull(MemorySegment name) {
        if (name.address() == 0) {
            PyErr_Clear();
            return null;
        }
        try {
            return Values.string(name); // not a str (a class body can set __module__ to anything): throws
        } catch (RuntimeException e) {
            PyErr_Clear();
            return null;
        } finally {
            Py_DecRef(name);
        }
    }

    /** Only type and message, for the rare failure of pyhost's own helper code. */
    static PyException fetchWithoutHelpers() {
        MemorySegment exc = PyErr_GetRaisedException();
        if (exc.address() == 0) {
            return new PyException("builtins.SystemError", "a Python C API call failed without raising an exception", "");
        }
        try {
            MemorySegment str = PyObject_Str(exc);
            String message = str.address() == 0 ? "" : Values.string(str);
            if (str.address() == 0) {
                PyErr_Clear();
            } else {
                Py_DecRef(str);
            }
            return new PyException("builtins.Exception", "pyhost's helper code failed: " + message, "");
        } finally {
            Py_DecRef(exc);
        }
    }

    /** The token of a {@code pyhost.JavaError} (its {@code _pyhost_token}), or 0. */
    private static long javaToken(PythonInterpreter interpreter, MemorySegment exc) {
        MemorySegment token = PyObject_GetAttrString(exc, JAVA_TOKEN);
        if (token.address() == 0) {
            PyErr_Clear();
            return 0;
        }
        try {
            long value = PyLong_AsLongLong(token);
            if (value == -1) {
                PyErr_Clear();
            }
            return value;
        } finally {
            Py_DecRef(token);
        }
    }

    private static final MemorySegment JAVA_TOKEN = java.lang.foreign.Arena.global().allocateFrom("_pyhost_token");

    private static String describe(PythonInterpreter interpreter, String helper, MemorySegment exc, String fallback) {
        MemorySegment result = Values.callWithObjects(interpreter.helper(helper), exc);
        if (result.address() == 0) {
            PyErr_Clear();
            return fallback;
        }
        try {
            return Values.string(result);
        } catch (RuntimeException e) {
            return fallback;
        } finally {
            Py_DecRef(result);
        }
    }
}
