package io.pyhost.core;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.core.bridge.Values;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;

/**
 * Makes contexts: opens an interpreter through a strategy, applies the preload in it, gives
 * the context its copy of the preloaded globals, and keeps track of every open context.
 * Plain Java (no OSGi), so the whole path from Java to CPython is testable without a framework.
 *
 * <p>The main interpreter keeps one preloaded namespace per preload version: a second worker
 * context copies it instead of running the preload again. A sub-interpreter runs the preload
 * itself, once, for its one context.
 */
public final class ContextEngine {
    private final PythonRuntime runtime;
    private final PreloadRegistry preload;
    private final Duration defaultCallTimeout;
    private final Set<PythonContext> open = ConcurrentHashMap.newKeySet();
    private final Object mainPreloadLock = new Object(); // taken before the GIL, never inside it
    private long mainPreloadVersion = -1;
    private MemorySegment mainPreload;                   // owned; guarded by mainPreloadLock

    public ContextEngine(PythonRuntime runtime, PreloadRegistry preload, Duration defaultCallTimeout) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.preload = Objects.requireNonNull(preload, "preload");
        this.defaultCallTimeout = defaultCallTimeout;
    }

    /**
     * Creates a context with {@code strategy}; {@code owner} is remembered so that
     * {@link #closeOwnedBy} can close the strategy's contexts when it leaves.
     */
    public PyContext create(String mode, InterpreterStrategy strategy, Object owner, ContextOptions options) {
        if (options.preload() != null && options.preload().indexOf('\0') >= 0) {
            throw new IllegalArgumentException("context preload contains a NUL character");
        }
        Interpreter opened = strategy.open(runtime, options);
        if (!(opened instanceof PythonInterpreter interpreter)) {
            if (opened != null) {
                opened.close();
            }
            throw new IllegalStateException("the strategy for mode '" + mode + "' returned " + opened
                    + ", not an interpreter made by pyhost core");
        }
        PreloadSnapshot snapshot = preload.snapshot();
        boolean sandbox = options.sandbox() != null ? options.sandbox() : strategy.sandboxByDefault();
        MemorySegment globals;
        try {
            if (interpreter.isMain()) {
                synchronized (mainPreloadLock) {
                    globals = interpreter.call(in -> prepare(in, snapshot, options.preload(), sandbox));
                }
            } else {
                globals = interpreter.call(in -> prepare(in, snapshot, options.preload(), sandbox));
            }
        } catch (RuntimeException e) {
            interpreter.close(); // a half-made sub-interpreter is ended on its own thread
            throw e;
        }
        Duration timeout = options.callTimeout() != null ? options.callTimeout() : defaultCallTimeout;
        PythonContext context = new PythonContext(mode, interpreter, globals, timeout, owner, sandbox && interpreter.isMain(),
                open::remove);
        open.add(context);
        return context;
    }

    /**
     * GIL held: a new reference to the context's globals. The shared preload runs unsandboxed
     * (it is the application's own code); the sandbox, if asked for, covers the context preload
     * and every later call.
     */
    private MemorySegment prepare(PythonInterpreter in, PreloadSnapshot snapshot, String contextPreload, boolean sandbox) {
        MemorySegment image = in.isMain() ? mainImage(in, snapshot) : buildImage(in, snapshot);
        MemorySegment globals;
        try {
            globals = callHelper(in, "copy_namespace", image);
        } finally {
            Py_DecRef(image);
        }
        if (sandbox) {
            Sandbox.install(in, !in.isMain());
        }
        if (contextPreload != null && !contextPreload.isEmpty()) {
            if (sandbox && in.isMain()) {
                Sandbox.enter(in);
            }
            try {
                runContextPreload(in, globals, contextPreload);
            } finally {
                if (sandbox && in.isMain()) {
                    Sandbox.leave(in);
                }
            }
        }
        return globals;
    }

    private static void runContextPreload(PythonInterpreter in, MemorySegment globals, String contextPreload) {
        {
            MemorySegment code;
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                // file name "context": a traceback says the error came from ContextOptions.preload
                code = Py_CompileString(arena.allocateFrom(contextPreload), arena.allocateFrom(Fragment.CONTEXT), FILE_INPUT);
            }
            MemorySegment result = code.address() == 0 ? MemorySegment.NULL : PyEval_EvalCode(code, globals, globals);
            if (code.address() != 0) {
                Py_DecRef(code);
            }
            if (result.address() == 0) {
                PyException error = PyErrors.fetch(in, null);
                Py_DecRef(globals);
                throw error;
            }
            Py_DecRef(result);
        }
    }

    /** The main interpreter's namespace for this version, built at most once per version. */
    private MemorySegment mainImage(PythonInterpreter in, PreloadSnapshot snapshot) {
        if (mainPreload == null || mainPreloadVersion != snapshot.version()) {
            MemorySegment built = buildImage(in, snapshot);
            if (mainPreload != null) {
                Py_DecRef(mainPreload); // functions of contexts made from it keep it alive as their globals
            }
            mainPreload = built;
            mainPreloadVersion = snapshot.version();
        }
        Py_IncRef(mainPreload);
        return mainPreload;
    }

    private MemorySegment buildImage(PythonInterpreter in, PreloadSnapshot snapshot) {
        List<List<String>> fragments = new ArrayList<>();
        for (Fragment f : snapshot.fragments()) {
            fragments.add(List.of(f.origin(), f.code()));
        }
        MemorySegment args = PyTuple_New(3);
        PyTuple_SetItem(args, 0, Values.toPython(snapshot.paths())); // each SetItem steals
        PyTuple_SetItem(args, 1, Values.toPython(snapshot.imports()));
        PyTuple_SetItem(args, 2, Values.toPython(fragments));
        MemorySegment image = PyObject_CallObject(in.helper("build_preload"), args);
        Py_DecRef(args);
        if (image.address() == 0) {
            throw PyErrors.fetch(in, null);
        }
        return image;
    }

    private static MemorySegment callHelper(PythonInterpreter in, String helper, MemorySegment arg) {
        MemorySegment args = PyTuple_New(1);
        Py_IncRef(arg);
        PyTuple_SetItem(args, 0, arg);
        MemorySegment result = PyObject_CallObject(in.helper(helper), args);
        Py_DecRef(args);
        if (result.address() == 0) {
            throw PyErrors.fetch(in, null);
        }
        return result;
    }

    /** Closes every context {@code owner} opened, telling later callers why; returns how many. */
    public int closeOwnedBy(Object owner, String reason) {
        int closed = 0;
        for (PythonContext context : List.copyOf(open)) {
            if (context.owner() == owner) {
                context.close(reason);
                closed++;
            }
        }
        return closed;
    }

    /** Closes every context and drops the main interpreter's preloaded namespace. */
    public void closeAll(String reason) {
        for (PythonContext context : List.copyOf(open)) {
            context.close(reason);
        }
        synchronized (mainPreloadLock) {
            if (mainPreload != null) {
                runtime.main().call(in -> {
                    Py_DecRef(mainPreload);
                    return null;
                });
                mainPreload = null;
            }
        }
    }

    /** The contexts open now. */
    public List<PyContext> contexts() {
        return List.copyOf(open);
    }
}
