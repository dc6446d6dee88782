package io.pyhost.core;

import java.math.BigInteger;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.PythonInterpreter;

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
    private static final Map<PythonInterpreter, PyRef> THREADS = new ConcurrentHashMap<>();

    private Sandbox() {
    }

    /**
     * Installs the sandbox (once per interpreter). Returns, for the main interpreter, the set of
     * sandboxed threads to pass to {@link #enter}/{@link #leave} (the sandbox's, never closed by the
     * caller: it lives as long as the interpreter); null for a sub-interpreter, which is sandboxed as a whole.
     */
    static PyRef install(PythonInterpreter in, boolean wholeInterpreter) {
        if (!wholeInterpreter) {
            PyRef threads = THREADS.get(in);
            if (threads != null) {
                return threads;
            }
        }
        PyRef result = in.callHelper("install_sandbox", java.util.List.of(wholeInterpreter));
        if (wholeInterpreter) {
            result.close();
            return null;
        }
        THREADS.put(in, result); // the caller holds the main interpreter's lock: one install per interpreter
        return result;
    }

    /** Adds the calling thread to {@code threads}; true if it was not in it (then {@link #leave} must follow). */
    static boolean enter(PythonInterpreter in, PyRef threads) {
        // already in (a sandboxed call re-entered through Java): the outer call leaves
        return threads.setAdd(threadIdent());
    }

    /** Removes the calling thread from {@code threads}. */
    static void leave(PythonInterpreter in, PyRef threads) {
        threads.setDiscard(threadIdent());
    }

    /** The calling thread's {@code threading.get_ident()}: an unsigned long. */
    private static Object threadIdent() {
        long ident = PythonInterpreter.currentThreadIdent();
        return ident >= 0 ? (Object) ident : new BigInteger(Long.toUnsignedString(ident));
    }
}
