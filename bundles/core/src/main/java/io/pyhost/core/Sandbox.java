package io.pyhost.core;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.MemorySegment;

import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.Values;

/**
 * The sandbox of {@code ContextOptions.sandbox}: a PEP 578 audit hook (helpers.py) refusing
 * process creation. A sub-interpreter is the context's own, so the hook covers all of it; in
 * the shared main interpreter it covers the thread running a sandboxed context's call (threads
 * that call starts are not covered: a documented limit of worker mode). GIL held throughout.
 */
final class Sandbox {
    private Sandbox() {
    }

    static void install(PythonInterpreter in, boolean wholeInterpreter) {
        call(in, "install_sandbox", Values.toPython(wholeInterpreter));
    }

    static void enter(PythonInterpreter in) {
        call(in, "enter_sandbox", null);
    }

    static void leave(PythonInterpreter in) {
        call(in, "leave_sandbox", null);
    }

    private static void call(PythonInterpreter in, String helper, MemorySegment argument) {
        MemorySegment args = PyTuple_New(argument == null ? 0 : 1);
        if (argument != null) {
            PyTuple_SetItem(args, 0, argument); // steals
        }
        MemorySegment result = PyObject_CallObject(in.helper(helper), args);
        Py_DecRef(args);
        if (result.address() == 0) {
            throw PyErrors.fetch(in, null);
        }
        Py_DecRef(result);
    }
}
