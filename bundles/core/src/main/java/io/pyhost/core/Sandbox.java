package io.pyhost.core;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.Values;

/**
 * The sandbox of {@code ContextOptions.sandbox}: a PEP 578 audit hook written in Python
 * (helpers.py, "the sandbox") plus refusing stubs for the functions that raise no audit event.
 * A sub-interpreter is the context's own, so the sandbox covers all of it, for good, and has no
 * state at all. In the shared main interpreter it covers the threads whose idents are in one
 * Python set, which Java alone changes ({@link #enter}/{@link #leave}, C API, no Python frame)
 * and which Python code reaches only through audited reads the hook refuses in sandboxed threads.
 * Threads that a sandboxed call would start are refused (they would be outside a per-thread scope).
 *
 * <p>No Java upcall in the hook: CPython 3.14 lets deep C recursion run the stack down to a
 * reserve smaller than a JVM upcall needs, and an audit event can fire there. GIL held throughout.
 */
final class Sandbox {
    /** Main interpreter (worker mode): the set of sandboxed thread idents, owned, for the interpreter's life. */
    private static final Map<PythonInterpreter, MemorySegment> THREADS = new ConcurrentHashMap<>();

    private Sandbox() {
    }

    /**
     * Installs the sandbox (once per interpreter). Returns, for the main interpreter, the set of
     * sandboxed threads to pass to {@link #enter}/{@link #leave} (borrowed: it lives as long as the
     * interpreter); null for a sub-interpreter, which is sandboxed as a whole.
     */
    static MemorySegment install(PythonInterpreter in, boolean wholeInterpreter) {
        if (!wholeInterpreter) {
            MemorySegment threads = THREADS.get(in);
            if (threads != null) {
                return threads;
            }
        }
        MemorySegment result = Values.callWith(in.helper("install_sandbox"), java.util.List.of(wholeInterpreter));
        if (result.address() == 0) {
            throw PyErrors.fetch(in, null);
        }
        if (wholeInterpreter) {
            Py_DecRef(result);
            return null;
        }
        THREADS.put(in, result); // the caller holds the main interpreter's lock: one install per interpreter
        return result;
    }

    /** Adds the calling thread to {@code threads}; true if it was not in it (then {@link #leave} must follow). */
    static boolean enter(PythonInterpreter in, MemorySegment threads) {
        MemorySegment ident = PyLong_FromUnsignedLongLong(PyThread_get_thread_ident());
        try {
            int present = PySet_Contains(threads, ident);
            if (present < 0 || present == 0 && PySet_Add(threads, ident) < 0) {
                throw PyErrors.fetch(in, null);
            }
            // already in (a sandboxed call re-entered through Java): the outer call leaves
            return present == 0;
        } finally {
            Py_DecRef(ident);
        }
    }

    /** Removes the calling thread from {@code threads}. */
    static void leave(PythonInterpreter in, MemorySegment threads) {
        MemorySegment ident = PyLong_FromUnsignedLongLong(PyThread_get_thread_ident());
        try {
            if (PySet_Discard(threads, ident) < 0) {
                throw PyErrors.fetch(in, null);
            }
        } finally {
            Py_DecRef(ident);
        }
    }
}
