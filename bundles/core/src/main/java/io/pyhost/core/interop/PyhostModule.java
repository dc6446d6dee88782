package io.pyhost.core.interop;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.core.bridge.JavaErrors;
import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.StackGuard;
import io.pyhost.core.bridge.Values;

/**
 * The built-in {@code pyhost} module (pyhost_module.py): made in every interpreter pyhost uses,
 * before its first context, and put in that interpreter's {@code sys.modules}, so
 * {@code import pyhost} works in every mode without a preload. Nothing Python-level is shared
 * between interpreters: each gets its own module, classes and functions.
 *
 * <p>Its one way into Java is {@code _raw(op, ...)}, a builtin whose C function is an FFM
 * upcall stub (one per class loader, process-wide memory). The stub must never let an
 * exception escape (that ends the JVM) and must only run on threads whose stack CPython keeps
 * {@link StackGuard#RESERVE} clear of (docs/interop-design.md): the Python side checks that
 * the thread is ready before it calls {@code _raw}.
 */
public final class PyhostModule {
    private static final String NAMESPACE = "pyhost.module";
    private static final String MODULE = "pyhost.module.object";
    private static final MemorySegment MODULE_NAME = Arena.global().allocateFrom("pyhost");
    private static final int OP_GUARD = 0;
    private static final int OP_CALL = 1;
    private static final int OP_FUNCTIONS = 2;
    private static final int METH_VARARGS = 0x0001;

    /** {@code PyMethodDef}: const char *ml_name; PyCFunction ml_meth; int ml_flags; const char *ml_doc. */
    private static final StructLayout PY_METHOD_DEF = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("ml_name"), ValueLayout.ADDRESS.withName("ml_meth"),
            ValueLayout.JAVA_INT.withName("ml_flags"), MemoryLayout.paddingLayout(4), ValueLayout.ADDRESS.withName("ml_doc"));

    /** The method definition behind every interpreter's {@code _raw}; lives as long as the process. */
    private static final MemorySegment RAW_DEF = makeRawDef();

    private static final Map<Long, PythonInterpreter> BY_STATE = new ConcurrentHashMap<>();
    private static final ThreadLocal<Set<PythonInterpreter>> READY =
            ThreadLocal.withInitial(() -> Collections.newSetFromMap(new WeakHashMap<>()));

    private PyhostModule() {
    }

    private static MemorySegment makeRawDef() {
        Arena forever = Arena.global(); // CPython keeps pointers to the definition and the stub
        try {
            MemorySegment stub = Linker.nativeLinker().upcallStub(
                    MethodHandles.lookup().findStatic(PyhostModule.class, "raw",
                            MethodType.methodType(MemorySegment.class, MemorySegment.class, MemorySegment.class)),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS), forever);
            MemorySegment def = forever.allocate(PY_METHOD_DEF);
            def.set(ValueLayout.ADDRESS, 0, forever.allocateFrom("_raw"));
            def.set(ValueLayout.ADDRESS, 8, stub);
            def.set(ValueLayout.JAVA_INT, 16, METH_VARARGS);
            def.set(ValueLayout.ADDRESS, 24, MemorySegment.NULL);
            return def;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make the pyhost module's upcall", e);
        }
    }

    /**
     * Makes the module in {@code in} if this core has not yet (GIL held, on a thread of that
     * interpreter), and marks the current thread ready for calls into Java.
     */
    public static void ensure(PythonInterpreter in) {
        if (in.attachment(NAMESPACE) == null) {
            in.attach(NAMESPACE, install(in));
            MemorySegment module = PyDict_GetItemString(PyImport_GetModuleDict(), MODULE_NAME); // borrowed
            Py_IncRef(module);
            in.attach(MODULE, module);
            BY_STATE.put(PyInterpreterState_Get().address(), in);
            in.ended().thenRun(() -> BY_STATE.values().remove(in));
        }
        prepareThread(in);
    }

    /**
     * Puts the module back into {@code sys.modules} if Python took it out or replaced it (in
     * worker mode one context could otherwise break or hijack {@code import pyhost} for all).
     * Two lookups per call; GIL held.
     */
    public static void keepImportable(PythonInterpreter in) {
        MemorySegment module = in.attachment(MODULE);
        if (module == null) {
            return;
        }
        MemorySegment modules = PyImport_GetModuleDict();
        if (PyDict_GetItemString(modules, MODULE_NAME).address() != module.address()) {
            PyDict_SetItemString(modules, MODULE_NAME, module);
        }
    }

    /**
     * Guards the calling thread's stack and marks it ready in {@code in}'s module, once per thread
     * and interpreter (GIL held). A thread whose stack cannot be guarded stays unready: its
     * {@code pyhost} calls are refused in Python, before any upcall.
     */
    public static void prepareThread(PythonInterpreter in) {
        Set<PythonInterpreter> ready = READY.get();
        if (ready.contains(in)) {
            return;
        }
        MemorySegment namespace = in.attachment(NAMESPACE);
        if (namespace == null || !StackGuard.guardCurrentThread()) {
            return;
        }
        MemorySegment mark;
        try (Arena arena = Arena.ofConfined()) {
            mark = PyDict_GetItemString(namespace, arena.allocateFrom("_mark_ready")); // borrowed
        }
        MemorySegment done = mark.address() == 0 ? MemorySegment.NULL : PyObject_CallObject(mark, MemorySegment.NULL);
        if (done.address() == 0) {
            PyErr_Clear();
            return;
        }
        Py_DecRef(done);
        ready.add(in);
    }

    /** Runs pyhost_module.py in a new namespace holding {@code _raw}; returns the namespace (owned). */
    private static MemorySegment install(PythonInterpreter in) {
        String source;
        try (var stream = PyhostModule.class.getResourceAsStream("pyhost_module.py")) {
            source = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("pyhost_module.py is missing from core", e);
        }
        MemorySegment namespace = PyDict_New();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment builtins = PyImport_ImportModule(arena.allocateFrom("builtins"));
            PyDict_SetItemString(namespace, arena.allocateFrom("__builtins__"), builtins);
            Py_DecRef(builtins);
            MemorySegment raw = PyCFunction_NewEx(RAW_DEF, MemorySegment.NULL, MemorySegment.NULL);
            PyDict_SetItemString(namespace, arena.allocateFrom("_raw"), raw);
            Py_DecRef(raw);
            MemorySegment name = Values.toPython("pyhost");
            PyDict_SetItemString(namespace, arena.allocateFrom("__name__"), name);
            Py_DecRef(name);
            MemorySegment code = Py_CompileString(arena.allocateFrom(source), arena.allocateFrom("<pyhost>"), FILE_INPUT);
            MemorySegment result = code.address() == 0 ? MemorySegment.NULL : PyEval_EvalCode(code, namespace, namespace);
            if (code.address() != 0) {
                Py_DecRef(code);
            }
            if (result.address() == 0) {
                Py_DecRef(namespace);
                throw PyErrors.fetch(in, null);
            }
            Py_DecRef(result);
        }
        return namespace;
    }

    // ---- the upcall ----

    /**
     * {@code _raw(op, ...)}: {@code PyObject *(PyObject *self, PyObject *args)}, the GIL held by
     * the calling thread. Returns a new reference, or NULL with a Python exception set. Never
     * throws: an exception leaving an upcall ends the JVM.
     */
    private static MemorySegment raw(MemorySegment self, MemorySegment args) {
        try {
            // _raw is reachable from Python (pyhost.call.__globals__): its arguments are untrusted.
            // PyTuple_GetItem past the end gives NULL, and NULL must never reach Values.toJava.
            long count = PyTuple_Size(args);
            if (count < 1) {
                return fail(PyExc_TypeError, "pyhost: _raw needs an operation");
            }
            long op = PyLong_AsLongLong(PyTuple_GetItem(args, 0));
            if (op == -1 && PyErr_Occurred().address() != 0) {
                return MemorySegment.NULL; // not an int, or out of range
            }
            int expected = op == OP_CALL ? 4 : 1;
            if (op != OP_GUARD && op != OP_CALL && op != OP_FUNCTIONS) {
                return fail(PyExc_TypeError, "pyhost: unknown operation " + op);
            }
            if (count != expected) {
                return fail(PyExc_TypeError, "pyhost: operation " + op + " takes " + expected + " arguments, not " + count);
            }
            return switch ((int) op) {
                case OP_GUARD -> Values.toPython(StackGuard.guardCurrentThread());
                case OP_FUNCTIONS -> Values.toPython(FunctionRegistry.shared().names());
                default -> call(args);
            };
        } catch (Values.ConversionException e) {
            return MemorySegment.NULL; // a Python exception is set
        } catch (IllegalArgumentException e) {
            return fail(PyExc_TypeError, "pyhost: " + e.getMessage());
        } catch (Throwable t) {
            try {
                return fail(PyExc_RuntimeError, "pyhost: " + describe(t));
            } catch (Throwable again) {
                return MemorySegment.NULL; // nothing may leave an upcall; CPython reports a SystemError
            }
        }
    }

    /** {@code t.toString()}, or its class name when that throws (a Java function's exception is untrusted code). */
    private static String describe(Throwable t) {
        try {
            return String.valueOf(t);
        } catch (Throwable undescribable) {
            return t.getClass().getName();
        }
    }

    /** {@code t.getMessage()}, or "" when it is null or throws. */
    private static String messageOf(Throwable t) {
        try {
            String message = t.getMessage();
            return message == null ? "" : message;
        } catch (Throwable undescribable) {
            return "";
        }
    }

    @SuppressWarnings("unchecked")
    private static MemorySegment call(MemorySegment args) {
        if (!(Values.toJava(PyTuple_GetItem(args, 1)) instanceof String name)) {
            return fail(PyExc_TypeError, "pyhost: the function name must be a str");
        }
        if (!(Values.toJava(PyTuple_GetItem(args, 2)) instanceof List<?> positionalIn)) {
            return fail(PyExc_TypeError, "pyhost: the positional arguments must be a tuple");
        }
        Object keywordsIn = Values.toJava(PyTuple_GetItem(args, 3)); // None when there are none (no dict to walk)
        if (keywordsIn != null && (!(keywordsIn instanceof Map<?, ?> map) || !map.keySet().stream().allMatch(String.class::isInstance))) {
            return fail(PyExc_TypeError, "pyhost: the keyword arguments must be a dict with str keys");
        }
        List<Object> positional = (List<Object>) positionalIn;
        Map<String, Object> keywords = keywordsIn == null ? Map.of() : (Map<String, Object>) keywordsIn;
        FunctionRegistry.Entry entry = FunctionRegistry.shared().best(name);
        if (entry == null) {
            return Values.toPython(List.of(2, "io.pyhost.api.PyFunction", "no function '" + name + "' is registered"));
        }
        PythonInterpreter in = BY_STATE.get(PyInterpreterState_Get().address());
        Object[] outcome = new Object[4]; // result, Java exception, its message, a result that cannot be converted
        java.util.function.Supplier<Void> work = () -> {
            Object result;
            try {
                result = entry.function().apply(positional, keywords);
            } catch (Throwable t) {
                outcome[1] = t;
                outcome[2] = messageOf(t); // user code too
                return null;
            }
            try {
                // copied into plain JDK types here, with the GIL released: converting runs no user code
                // (a lazy collection's iterator() could otherwise hold the GIL, freezing every worker context)
                outcome[0] = PlainCopy.of(result);
            } catch (IllegalArgumentException unconvertible) {
                outcome[3] = unconvertible.getMessage();
            } catch (Throwable t) {
                outcome[1] = t;
                outcome[2] = messageOf(t);
            }
            return null;
        };
        if (in != null) {
            in.outsidePython(work); // the GIL is released while Java runs; re-entry runs inline
        } else {
            work.get();
        }
        if (outcome[3] != null) {
            return fail(PyExc_TypeError, "pyhost: " + outcome[3]);
        }
        if (outcome[1] instanceof Throwable t) {
            return Values.toPython(List.of(1, t.getClass().getName(), outcome[2], JavaErrors.keep(PyInterpreterState_Get().address(), t)));
        }
        MemorySegment value = Values.toPython(outcome[0]); // an unconvertible result: IllegalArgumentException -> TypeError
        MemorySegment answer = PyTuple_New(2);
        PyTuple_SetItem(answer, 0, Values.toPython(0L));
        PyTuple_SetItem(answer, 1, value); // steals
        return answer;
    }

    private static MemorySegment fail(MemorySegment type, String message) {
        try (Arena arena = Arena.ofConfined()) {
            PyErr_SetString(type, arena.allocateFrom(message));
        }
        return MemorySegment.NULL;
    }
}
