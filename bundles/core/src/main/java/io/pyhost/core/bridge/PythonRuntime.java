package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.pyhost.spi.Interpreters;
import io.pyhost.spi.PythonVersion;
import io.pyhost.spi.SubInterpreterConfig;

/**
 * The CPython runtime of this JVM: loaded and initialized once, never finalized while the JVM
 * lives (CPython cannot be re-initialized reliably, and extension modules keep state).
 *
 * <p>Initialization runs on one named daemon thread, {@code pyhost-python-init}, which then
 * releases the GIL and ends; a failure is remembered and rethrown with its cause to every
 * later caller. A core bundle that starts again (same class loader or a new one after an
 * update) finds CPython initialized ({@code Py_IsInitialized}) and reuses it.
 */
public final class PythonRuntime implements Interpreters {
    /** Platform threads that may run handed-off calls of the main interpreter at once, unless configured. */
    public static final int DEFAULT_MAIN_LANES = 8;

    private static PythonRuntime instance;
    private static RuntimeException failure;

    private final PythonVersion version;
    private final MainInterpreter main;
    private volatile boolean released;

    private PythonRuntime(PythonVersion version, MainInterpreter main) {
        this.version = version;
        this.main = main;
    }

    /**
     * The runtime, starting CPython from {@code home} and {@code library} if this JVM has not
     * yet. Cost: about 40 ms the first time in the JVM, nothing after.
     */
    public static synchronized PythonRuntime start(Path home, Path library) {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(library, "library");
        if (failure != null) {
            throw new IllegalStateException("CPython failed to start earlier in this JVM: " + failure.getMessage(), failure);
        }
        if (instance != null && !instance.released) {
            return instance;
        }
        try {
            LibPython.load(library);
            if (Py_IsInitialized() == 0) {
                initializeOnOwnThread(home);
            }
            PythonVersion version = PythonVersion.parse(Py_GetVersion().reinterpret(256).getString(0).split(" ", 2)[0]
                    .replaceAll("[^0-9.].*$", ""));
            instance = new PythonRuntime(version, new MainInterpreter(PyInterpreterState_Main(), DEFAULT_MAIN_LANES));
            return instance;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    private static void initializeOnOwnThread(Path home) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread init = new Thread(() -> {
            try {
                initialize(home);
                PyEval_SaveThread(); // the main thread state stays alive; the GIL is free for everyone
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, "pyhost-python-init");
        init.setDaemon(true);
        init.start();
        try {
            done.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException("CPython initialization failed", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while CPython initializes", e);
        }
    }

    private static void initialize(Path home) {
        try (Arena arena = Arena.ofConfined()) {
            if (has_PyInitConfig_Create()) {
                // PEP 741 (3.14+): isolated configuration; the environment (PYTHONPATH...) is ignored.
                MemorySegment config = PyInitConfig_Create();
                try {
                    check(config, PyInitConfig_SetStr(config, arena.allocateFrom("home"), arena.allocateFrom(home.toString())), arena);
                    // CPython's signal handlers would fight the JVM's.
                    check(config, PyInitConfig_SetInt(config, arena.allocateFrom("install_signal_handlers"), 0), arena);
                    // CPython is never finalized, so buffered print() output could be lost at JVM exit.
                    check(config, PyInitConfig_SetInt(config, arena.allocateFrom("buffered_stdio"), 0), arena);
                    check(config, Py_InitializeFromInitConfig(config), arena);
                } finally {
                    PyInitConfig_Free(config);
                }
            } else {
                setenv(arena, "PYTHONHOME", home.toString());
                setenv(arena, "PYTHONNOUSERSITE", "1");
                setenv(arena, "PYTHONUNBUFFERED", "1");
                Py_InitializeEx(0);
            }
        }
        if (Py_IsInitialized() == 0) {
            throw new IllegalStateException("CPython did not initialize from home " + home);
        }
    }

    private static void check(MemorySegment config, int rc, Arena arena) {
        if (rc != 0) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            PyInitConfig_GetError(config, out);
            MemorySegment msg = out.get(ValueLayout.ADDRESS, 0);
            throw new IllegalStateException("CPython initialization failed: "
                    + (msg.address() == 0 ? "no reason given" : msg.reinterpret(4096).getString(0)));
        }
    }

    private static void setenv(Arena arena, String name, String value) {
        Linker linker = Linker.nativeLinker();
        var setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try {
            int rc = (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 1);
            if (rc != 0) {
                throw new IllegalStateException("setenv(" + name + ") failed");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("setenv(" + name + ") failed", t);
        }
    }

    @Override
    public PythonVersion pythonVersion() {
        return version;
    }

    @Override
    public MainInterpreter main() {
        checkLive();
        return main;
    }

    @Override
    public SubInterpreter newSubInterpreter(SubInterpreterConfig config) {
        Objects.requireNonNull(config, "config");
        checkLive();
        return SubInterpreter.start(config);
    }

    private void checkLive() {
        if (released) {
            throw new IllegalStateException("the pyhost runtime was stopped");
        }
    }

    /**
     * Releases what this runtime holds in CPython (pool threads, their thread states, cached
     * objects) when core stops. CPython itself stays initialized for the next start.
     */
    public static synchronized void release() {
        if (instance != null && !instance.released) {
            instance.released = true;
            instance.main.shutdown(SubInterpreter.CLOSE_BOUND);
            instance = null;
        }
    }
}
