package io.pyhost.core;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.core.bridge.GilTask;
import io.pyhost.core.bridge.InflightCall;
import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.PythonInterpreter.CallTimeoutException;
import io.pyhost.core.bridge.Values;

/**
 * A context: a globals dict in one interpreter. Calls are serialized by a fair permit, taken by
 * the caller and given back by whichever thread finishes the Python work, so a call that timed
 * out keeps the context busy until Python has really returned.
 */
final class PythonContext implements PyContext {
    private static final AtomicLong IDS = new AtomicLong();
    /** How long close() waits for a running call to stop after interrupting it. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final long id = IDS.incrementAndGet();
    private final String mode;
    private final PythonInterpreter interpreter;
    private final MemorySegment globals; // owned; lives in `interpreter`
    private final Duration callTimeout;
    private final Object owner;          // the strategy that opened the interpreter
    private final Instant created = Instant.now();
    private final Semaphore permit = new Semaphore(1, true);
    private final AtomicLong calls = new AtomicLong();
    private final java.util.function.Consumer<PythonContext> onClose;
    /** Worker mode, sandboxed: the main interpreter's set of sandboxed threads (borrowed); else null. */
    private final MemorySegment sandboxThreads;
    private volatile InflightCall current;
    private volatile String closedBecause;

    PythonContext(String mode, PythonInterpreter interpreter, MemorySegment globals, Duration callTimeout, Object owner,
            MemorySegment sandboxThreads, java.util.function.Consumer<PythonContext> onClose) {
        this.sandboxThreads = sandboxThreads;
        this.mode = mode;
        this.interpreter = interpreter;
        this.globals = globals;
        this.callTimeout = callTimeout;
        this.owner = owner;
        this.onClose = onClose;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String mode() {
        return mode;
    }

    Object owner() {
        return owner;
    }


    long calls() {
        return calls.get();
    }

    io.pyhost.api.ContextInfo info(String strategy) {
        return new io.pyhost.api.ContextInfo(id, mode, strategy, created, calls.get(), current != null);
    }

    @Override
    public Object eval(String expression) {
        return eval(expression, null);
    }

    @Override
    public Object eval(String expression, Map<String, ?> locals) {
        return eval(expression, locals, callTimeout);
    }

    @Override
    public Object eval(String expression, Map<String, ?> locals, Duration timeout) {
        checkCode(expression, "expression");
        if (locals != null) {
            locals.keySet().forEach(k -> checkName(k, "locals key"));
        }
        return invoke(timeout, (in, call) -> {
            MemorySegment code = in.compile(expression, EVAL_INPUT);
            MemorySegment localsDict = globals;
            try {
                if (locals != null) {
                    localsDict = Values.toPython(locals);
                }
                MemorySegment result = PyEval_EvalCode(code, globals, localsDict);
                return convertResult(in, call, result);
            } finally {
                Py_DecRef(code);
                if (localsDict != globals) {
                    Py_DecRef(localsDict);
                }
            }
        });
    }

    @Override
    public void exec(String source) {
        exec(source, callTimeout);
    }

    @Override
    public void exec(String source, Duration timeout) {
        checkCode(source, "code");
        invoke(timeout, (in, call) -> {
            MemorySegment code = in.compile(source, FILE_INPUT);
            try {
                MemorySegment result = PyEval_EvalCode(code, globals, globals);
                return convertResult(in, call, result);
            } finally {
                Py_DecRef(code);
            }
        });
    }

    @Override
    public Object call(String module, String function, List<?> args, Map<String, ?> kwargs) {
        return call(module, function, args, kwargs, callTimeout);
    }

    @Override
    public Object call(String module, String function, List<?> args, Map<String, ?> kwargs, Duration timeout) {
        checkName(function, "function");
        if (module != null && !module.isEmpty()) {
            checkName(module, "module");
        }
        if (kwargs != null) {
            kwargs.keySet().forEach(k -> checkName(k, "kwargs key"));
        }
        return invoke(timeout, (in, call) -> {
            MemorySegment target = resolve(in, module, function);
            MemorySegment pyArgs = MemorySegment.NULL;
            MemorySegment pyKwargs = MemorySegment.NULL;
            try {
                pyArgs = tuple(args == null ? List.of() : args);
                pyKwargs = kwargs == null || kwargs.isEmpty() ? MemorySegment.NULL : Values.toPython(kwargs);
                return convertResult(in, call, PyObject_Call(target, pyArgs, pyKwargs));
            } finally {
                Py_DecRef(target);
                if (pyArgs.address() != 0) {
                    Py_DecRef(pyArgs);
                }
                if (pyKwargs.address() != 0) {
                    Py_DecRef(pyKwargs);
                }
            }
        });
    }

    /**
     * A new reference to {@code module.function} (dotted names walk attributes), or to the
     * function in this context's globals: through the C API, with no Python code run when the
     * module is already imported. Python raises as `import` and attribute access would.
     */
    private MemorySegment resolve(PythonInterpreter in, String module, String function) {
        String[] parts = function.split("\\.", -1);
        boolean own = module == null || module.isEmpty();
        MemorySegment target;
        try (Arena arena = Arena.ofConfined()) {
            if (own) {
                target = PyDict_GetItemString(globals, arena.allocateFrom(parts[0])); // borrowed
                if (target.address() == 0) {
                    return resolveInPython(in, module, function); // raises NameError as Python words it
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

    private MemorySegment resolveInPython(PythonInterpreter in, String module, String function) {
        MemorySegment args = PyTuple_New(3);
        PyTuple_SetItem(args, 0, Values.toPython(module == null ? "" : module));
        PyTuple_SetItem(args, 1, Values.toPython(function));
        Py_IncRef(globals);
        PyTuple_SetItem(args, 2, globals);
        MemorySegment target = PyObject_CallObject(in.helper("resolve"), args);
        Py_DecRef(args);
        if (target.address() == 0) {
            throw new Values.ConversionException();
        }
        return target;
    }

    private static MemorySegment tuple(List<?> args) {
        MemorySegment tuple = PyTuple_New(args.size());
        try {
            for (int i = 0; i < args.size(); i++) {
                PyTuple_SetItem(tuple, i, Values.toPython(args.get(i))); // steals
            }
        } catch (RuntimeException e) {
            Py_DecRef(tuple);
            throw e;
        }
        return tuple;
    }

    /** Converts and releases a new reference; NULL means a Python exception is raised. */
    private static Object convertResult(PythonInterpreter in, InflightCall call, MemorySegment result) {
        if (result.address() == 0) {
            throw PyErrors.fetch(in, call);
        }
        try {
            return Values.toJava(result);
        } finally {
            Py_DecRef(result);
        }
    }

    /** A call's work, with the call it is registered as. */
    private interface ContextTask<T> {
        T run(PythonInterpreter in, InflightCall call);
    }

    private <T> T invoke(Duration timeout, ContextTask<T> task) {
        checkOpen();
        acquirePermit(timeout);
        InflightCall call = new InflightCall();
        java.util.concurrent.atomic.AtomicBoolean handedOver = new java.util.concurrent.atomic.AtomicBoolean();
        GilTask<T> work = in -> {
            handedOver.set(true);
            try {
                if (call.timedOut()) { // its caller gave up before it started: do not run it late
                    throw new IllegalStateException("call abandoned at its timeout before it started");
                }
                current = call;
                calls.incrementAndGet();
                boolean entered = sandboxThreads != null && Sandbox.enter(in, sandboxThreads);
                try {
                    return task.run(in, call);
                } catch (Values.ConversionException e) {
                    throw PyErrors.fetch(in, call); // before anything else calls into Python
                } finally {
                    if (entered) {
                        Sandbox.leave(in, sandboxThreads);
                    }
                }
            } finally {
                current = null;
                permit.release();
            }
        };
        try {
            return interpreter.call(call, timeout, work);
        } catch (CallTimeoutException e) {
            throw new PyException("builtins.TimeoutError", e.getMessage(), "");
        } catch (RuntimeException e) {
            if (!handedOver.get()) {
                permit.release(); // the work never ran, so it could not give the permit back
            }
            throw e;
        }
    }

    private void acquirePermit(Duration timeout) {
        try {
            if (timeout == null) {
                permit.acquire();
            } else if (!permit.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new PyException("builtins.TimeoutError",
                        "context " + id + " stayed busy with an earlier call past this call's timeout of " + timeout.toMillis() + " ms", "");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for context " + id, e);
        }
        if (closedBecause != null) {
            permit.release();
            checkOpen();
        }
    }

    private void checkOpen() {
        String why = closedBecause;
        if (why != null) {
            throw new IllegalStateException("context " + id + " (" + mode + ") is closed: " + why);
        }
    }

    private static void checkCode(String code, String what) {
        if (code == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (code.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
    }

    private static void checkName(String name, String what) {
        if (name == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
    }

    @Override
    public boolean interrupt() {
        InflightCall running = current;
        return running != null && closedBecause == null && interpreter.interrupt(running);
    }

    @Override
    public boolean isClosed() {
        return closedBecause != null;
    }

    @Override
    public void close() {
        close("it was closed");
    }

    /**
     * Closes with a reason later calls will be told. A call in progress is interrupted and
     * waited for (up to 10 s); then the globals are released and the interpreter closed (a
     * sub-interpreter is ended on its own thread). Idempotent.
     */
    void close(String reason) {
        synchronized (this) {
            if (closedBecause != null) {
                return;
            }
            closedBecause = reason;
        }
        try {
            InflightCall running = current;
            if (running != null) {
                interpreter.interrupt(running);
            }
            boolean idle;
            try {
                idle = permit.tryAcquire(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                idle = false;
            }
            try {
                if (idle) {
                    interpreter.call(in -> {
                        Py_DecRef(globals);
                        return null;
                    });
                }
                // else: a call is stuck in C code; its globals stay referenced rather than freed under it.
                interpreter.close();
            } finally {
                if (idle) {
                    permit.release(); // callers queued behind close now see closedBecause and fail at once
                }
            }
        } finally {
            onClose.accept(this);
        }
    }

    @Override
    public String toString() {
        return "PyContext[" + id + ", " + mode + (closedBecause == null ? "" : ", closed") + "]";
    }
}
