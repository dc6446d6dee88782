package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Code run in a namespace (a globals dict held as a {@link PyRef}): evaluating, executing and
 * calling by name, and the interpreter's {@code sys.modules}. These are the context's hot paths, so
 * the intermediate objects (compiled code, locals, the callable) stay inside the bridge and only
 * the result crosses: converted to Java, or as a new {@code PyRef} for the {@code ...Object}
 * variants.
 *
 * <p>GIL of the namespace's interpreter held for every method. A Python exception is thrown as
 * {@link io.pyhost.api.PyException}, classified for the call the thread runs; nothing is leaked
 * when a conversion fails half-way.
 */
public final class Namespace {
    private Namespace() {
    }

    /** A new dict holding {@code __builtins__}: a namespace to run a module's source in. */
    public static PyRef create(PythonInterpreter in) {
        MemorySegment namespace = PyDict_New();
        if (namespace.address() == 0) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment builtins = PyImport_ImportModule(arena.allocateFrom("builtins"));
            if (builtins.address() == 0) {
                Py_DecRef(namespace);
                throw PyErrors.fetch(in, PythonInterpreter.currentCall());
            }
            PyDict_SetItemString(namespace, arena.allocateFrom("__builtins__"), builtins);
            Py_DecRef(builtins);
        }
        return PyRef.take(in, namespace);
    }

    /** {@code eval(expression, globals, locals)} converted to Java; {@code locals} null: the globals. Compiled code is cached. */
    public static Object eval(PyRef globals, String expression, Map<String, ?> locals) {
        return PyRef.convert(globals.interpreter(), evaluate(globals, expression, locals));
    }

    /** {@code eval(expression, globals, locals)} as a new reference. */
    public static PyRef evalObject(PyRef globals, String expression, Map<String, ?> locals) {
        return PyRef.take(globals.interpreter(), evaluate(globals, expression, locals));
    }

    private static MemorySegment evaluate(PyRef globals, String expression, Map<String, ?> locals) {
        PythonInterpreter in = globals.interpreter();
        MemorySegment g = globals.pointer();
        MemorySegment code = in.compile(expression, EVAL_INPUT);
        MemorySegment localsDict = g;
        try {
            if (locals != null) {
                localsDict = Values.toPython(locals);
            }
            return PyEval_EvalCode(code, g, localsDict);
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        } finally {
            Py_DecRef(code);
            if (localsDict != g) {
                Py_DecRef(localsDict);
            }
        }
    }

    /** {@code exec(source, globals)}; compiled code is cached. */
    public static void exec(PyRef globals, String source) {
        PythonInterpreter in = globals.interpreter();
        MemorySegment g = globals.pointer();
        MemorySegment code = in.compile(source, FILE_INPUT);
        try {
            PyRef.convert(in, PyEval_EvalCode(code, g, g));
        } finally {
            Py_DecRef(code);
        }
    }

    /** {@code exec(compile(source, fileName, "exec"), globals)}, not cached: a traceback names {@code fileName}. */
    public static void execFile(PyRef globals, String source, String fileName) {
        PythonInterpreter in = globals.interpreter();
        MemorySegment g = globals.pointer();
        MemorySegment code;
        try (Arena arena = Arena.ofConfined()) {
            code = Py_CompileString(arena.allocateFrom(source), arena.allocateFrom(fileName), FILE_INPUT);
        }
        if (code.address() == 0) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
        MemorySegment result = PyEval_EvalCode(code, g, g);
        Py_DecRef(code);
        if (result.address() == 0) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
        Py_DecRef(result);
    }

    /**
     * {@code module.function(*args, **kwargs)} converted to Java; {@code module} null or empty:
     * the function in {@code globals}. Dotted names walk attributes.
     */
    public static Object call(PyRef globals, String module, String function, List<?> args, Map<String, ?> kwargs) {
        PythonInterpreter in = globals.interpreter();
        return PyRef.convert(in, invoke(in, globals.pointer(), module, function, args, kwargs));
    }

    /** {@link #call} as a new reference. */
    public static PyRef callObject(PyRef globals, String module, String function, List<?> args, Map<String, ?> kwargs) {
        PythonInterpreter in = globals.interpreter();
        return PyRef.take(in, invoke(in, globals.pointer(), module, function, args, kwargs));
    }

    private static MemorySegment invoke(PythonInterpreter in, MemorySegment globals, String module, String function, List<?> args,
            Map<String, ?> kwargs) {
        try {
            MemorySegment target = resolve(in, globals, module, function);
            try {
                return PyRef.invoke(in, target, args, kwargs);
            } finally {
                Py_DecRef(target);
            }
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, PythonInterpreter.currentCall());
        }
    }

    /**
     * A new reference to {@code module.function} (dotted names walk attributes), or to the
     * function in {@code globals}: through the C API, with no Python code run when the module is
     * already imported. Python raises as `import` and attribute access would.
     */
    private static MemorySegment resolve(PythonInterpreter in, MemorySegment globals, String module, String function) {
        String[] parts = function.split("\\.", -1);
        boolean own = module == null || module.isEmpty();
        MemorySegment target;
        try (Arena arena = Arena.ofConfined()) {
            if (own) {
                target = PyDict_GetItemString(globals, arena.allocateFrom(parts[0])); // borrowed
                if (target.address() == 0) {
                    return resolveInPython(in, globals, module, function); // raises NameError as Python words it
                }
                Py_IncRef(target);
            } else {
                MemorySegment name = Values.string(module);
                target = PyImport_GetModule(name); // already imported: no import machinery
                Py_DecRef(name);
                if (target.address() == 0) {
                    if (PyErr_Occurred().address() != 0) {
                        throw new Values.ConversionException();
                    }
                    target = PyImport_ImportModule(arena.allocateFrom(module));
                    if (target.address() == 0) {
                        throw new Values.ConversionException();
                    }
                }
            }
            for (int i = own ? 1 : 0; i < parts.length; i++) {
                MemorySegment next = PyObject_GetAttrString(target, arena.allocateFrom(parts[i]));
                Py_DecRef(target);
                if (next.address() == 0) {
                    throw new Values.ConversionException();
                }
                target = next;
            }
        }
        return target;
    }

    private static MemorySegment resolveInPython(PythonInterpreter in, MemorySegment globals, String module, String function) {
        MemorySegment moduleName = Values.toPython(module == null ? "" : module);
        MemorySegment functionName;
        try {
            functionName = Values.toPython(function);
        } catch (RuntimeException e) {
            Py_DecRef(moduleName);
            throw e;
        }
        MemorySegment target = Values.callWithObjects(in.helper("resolve"), moduleName, functionName, globals);
        Py_DecRef(moduleName);
        Py_DecRef(functionName);
        if (target.address() == 0) {
            throw new Values.ConversionException();
        }
        return target;
    }

    // ---- sys.modules ----

    /** C strings of the module names passed here (a few constants), made once. */
    private static final Map<String, MemorySegment> MODULE_NAMES = new ConcurrentHashMap<>();

    private static MemorySegment cName(String name) {
        MemorySegment c = MODULE_NAMES.get(name); // the hot path: a plain lookup
        return c != null ? c : MODULE_NAMES.computeIfAbsent(name, n -> Arena.global().allocateFrom(n));
    }

    /** A new reference to {@code sys.modules[name]}, or null when absent. Runs no Python code. */
    public static PyRef importedModule(PythonInterpreter in, String name) {
        MemorySegment module = PyDict_GetItemString(PyImport_GetModuleDict(), cName(name)); // borrowed
        return module.address() == 0 ? null : PyRef.borrow(in, module);
    }

    /**
     * Puts {@code module} back as {@code sys.modules[name]} if Python took it out or replaced it.
     * Two lookups, no Python code run, no Java object made: done before every call.
     */
    public static void keepInSysModules(String name, PyRef module) {
        MemorySegment modules = PyImport_GetModuleDict();
        MemorySegment key = cName(name);
        MemorySegment m = module.pointer();
        if (PyDict_GetItemString(modules, key).address() != m.address()) {
            PyDict_SetItemString(modules, key, m);
        }
    }
}
