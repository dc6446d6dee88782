package io.pyhost.core.interop;

import io.pyhost.core.bridge.PyRef;

/**
 * A Java handle to a Python object ({@link io.pyhost.api.PyObject}): given back to Python in
 * arguments or locals, the value table passes the object itself.
 */
public interface PythonHandle {
    /**
     * A new reference to the object, for the code the current thread runs (GIL held); throws
     * {@link IllegalArgumentException} when that code is not of the handle's context, and
     * {@link IllegalStateException} when the handle was closed.
     */
    PyRef newReference(PythonHost current);
}
