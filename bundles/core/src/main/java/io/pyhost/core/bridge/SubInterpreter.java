package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import io.pyhost.spi.SubInterpreterConfig;

/**
 * A sub-interpreter and the platform thread that owns it ({@code pyhost-interp-N}). The thread
 * creates the interpreter, runs every call in arrival order, and ends the interpreter on
 * {@link #close()}; no other thread ever holds its thread state. Between calls the thread
 * releases the GIL (shared or own), so it costs nothing while idle.
 *
 * <p>Life of the thread: {@code PyGILState_Ensure} (a main-interpreter thread state, as
 * {@code Py_NewInterpreterFromConfig} needs a current one) &rarr; create &rarr; serve calls &rarr;
 * {@code Py_EndInterpreter} (returns with no thread state and no GIL) &rarr; re-attach the main
 * thread state &rarr; {@code PyGILState_Release}, which frees it.
 */
public final class SubInterpreter extends PythonInterpreter {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final Runnable END = () -> { };

    private final SubInterpreterConfig config;
    private final CallLane lane;
    private final Object lifecycle = new Object(); // orders interrupts against the interpreter's end
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private volatile boolean closing;
    private final java.util.concurrent.atomic.AtomicBoolean memoryErrorPending = new java.util.concurrent.atomic.AtomicBoolean();
    private MemorySegment tstate;      // the sub-interpreter's thread state, used by `thread` only
    private MemorySegment interpState; // guarded by lifecycle once created
    private long id = -1;
    private long threadIdent;

    private SubInterpreter(SubInterpreterConfig config) {
        this.config = config;
        this.lane = new CallLane("pyhost-interp-" + THREADS.incrementAndGet(), this::live);
    }

    /** Creates the interpreter on a new thread and waits until it is ready. */
    static SubInterpreter start(SubInterpreterConfig config) {
        SubInterpreter sub = new SubInterpreter(config);
        CompletableFuture<Void> created = new CompletableFuture<>();
        sub.createdSignal = created;
        sub.lane.start();
        try {
            created.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sub.close();
            throw new IllegalStateException("interrupted while creating a sub-interpreter", e);
        }
        return sub;
    }

    private CompletableFuture<Void> createdSignal;

    private void live() {
        int gilState = PyGILState_Ensure();
        MemorySegment mainTstate = PyGILState_GetThisThreadState();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cfg = arena.allocate(PY_INTERPRETER_CONFIG);
            cfg.set(ValueLayout.JAVA_INT, 0, config.useMainObmalloc() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 4, config.allowFork() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 8, config.allowExec() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 12, config.allowThreads() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 16, config.allowDaemonThreads() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 20, config.checkMultiInterpExtensions() ? 1 : 0);
            cfg.set(ValueLayout.JAVA_INT, 24, config.ownGil() ? 2 : 1); // PyInterpreterConfig_OWN_GIL : _SHARED_GIL
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment status = Py_NewInterpreterFromConfig(arena, out, cfg);
            MemorySegment created = out.get(ValueLayout.ADDRESS, 0);
            if (status.get(ValueLayout.JAVA_INT, 0) != 0 || created.address() == 0) {
                MemorySegment msg = status.get(ValueLayout.ADDRESS, 16);
                String why = msg.address() == 0 ? "no reason given" : msg.reinterpret(4096).getString(0);
                // On failure CPython has made the main thread state current again.
                PyGILState_Release(gilState);
                createdSignal.completeExceptionally(new IllegalStateException("Py_NewInterpreterFromConfig failed: " + why));
                ended.complete(null);
                return;
            }
            tstate = created;
            interpState = PyInterpreterState_Get();
            id = PyInterpreterState_GetID(interpState);
            threadIdent = PyThread_get_thread_ident();
            PyEval_SaveThread();
        }
        createdSignal.complete(null);
        try {
            serve();
        } finally {
            synchronized (lifecycle) {
                PyEval_RestoreThread(tstate);
                releaseObjects(); // not needed for memory (the interpreter frees all), but drops Java's handles
                long state = interpState.address();
                Py_EndInterpreter(tstate);
                PythonRuntime.arenas().uncap(state);
                interpState = null;
            }
            PyEval_RestoreThread(mainTstate);
            PyGILState_Release(gilState);
            ended.complete(null);
        }
    }

    private void serve() {
        while (true) {
            Runnable task = lane.next(Long.MAX_VALUE); // only close() ends this thread, through END
            if (task == null) {
                continue;
            }
            if (task == END) {
                break;
            }
            PyEval_RestoreThread(tstate);
            try {
                task.run();
            } finally {
                PyEval_SaveThread();
            }
        }
        RuntimeException gone = new IllegalStateException("the sub-interpreter was closed");
        for (Runnable left; (left = lane.poll()) != null; ) {
            if (left instanceof Handoff<?> h) {
                h.abandon(gone);
            }
        }
    }

    @Override
    public <T> T call(InflightCall call, Duration timeout, GilTask<T> task) {
        if (Thread.currentThread() == lane.thread()) {
            throw new IllegalStateException("re-entrant call on the interpreter's own thread");
        }
        Handoff<T> handoff = new Handoff<>(() -> runAttached(threadIdent, call, task));
        synchronized (lifecycle) {
            if (closing) {
                throw new IllegalStateException("the sub-interpreter was closed");
            }
            lane.offer(handoff);
        }
        return awaitOrInterrupt(handoff, call, timeout);
    }

    @Override
    public boolean interrupt(InflightCall call) {
        return raiseIn(call, PyExc_KeyboardInterrupt, null);
    }

    private boolean raiseIn(InflightCall call, MemorySegment type, String because) {
        synchronized (lifecycle) {
            if (interpState == null) {
                return false;
            }
            // A short-lived thread state of this interpreter on the calling thread: taking the
            // interpreter's GIL makes the running call pause at its next eval-breaker check.
            MemorySegment helperState = PyThreadState_New(interpState);
            PyEval_RestoreThread(helperState);
            try {
                return call.raise(type, because);
            } finally {
                PyThreadState_Clear(helperState);
                PyThreadState_DeleteCurrent();
            }
        }
    }

    @Override
    public long interpreterId() {
        return id;
    }

    @Override
    public boolean isMain() {
        return false;
    }

    @Override
    public boolean ownGil() {
        return config.ownGil();
    }

    @Override
    public boolean ownAllocator() {
        return !config.useMainObmalloc();
    }

    /**
     * Holds this interpreter to {@code bytes} of obmalloc arenas: crossing it raises
     * {@code MemoryError} in the running call (raised by {@link MemoryGuard} from another thread,
     * never from inside the allocator).
     *
     * @throws IllegalStateException the interpreter shares the main allocator
     */
    public void limitMemory(long bytes) {
        if (!ownAllocator()) {
            throw new IllegalStateException("an interpreter that shares the main allocator cannot be capped");
        }
        long state;
        synchronized (lifecycle) {
            if (interpState == null) {
                throw new IllegalStateException("the sub-interpreter was closed");
            }
            state = interpState.address();
        }
        String because = "the context exceeded its memory limit of " + bytes + " bytes";
        PythonRuntime.arenas().cap(state, bytes, total -> overCap(because));
    }

    /**
     * From the arena allocator, on the allocating thread, holding this interpreter's GIL. When
     * that thread runs the context's call, the MemoryError is set on it right here (an async
     * exception: a pointer swap and a flag, no allocation), so it lands at the next bytecode
     * boundary however busy the machine is. Any other thread of the interpreter gets it through
     * {@link MemoryGuard}.
     */
    private void overCap(String because) {
        InflightCall call = running();
        if (call != null && call.runsOnCurrentThread()) {
            call.raise(PyExc_MemoryError, because);
        } else if (memoryErrorPending.compareAndSet(false, true)) { // one request at a time, not one per arena
            MemoryGuard.raise(this, because);
        }
    }

    /** From {@link MemoryGuard}: raises MemoryError in the call running now, if any. */
    boolean raiseInRunningCall(MemorySegment type, String because) {
        memoryErrorPending.set(false);
        InflightCall call = running();
        return call != null && raiseIn(call, type, because);
    }

    /** Ends the interpreter on its thread after the calls already queued; waits for it. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (!closing) {
                closing = true;
                lane.offer(END);
            }
        }
        if (Thread.currentThread() != lane.thread()) {
            ended.join();
            joinQuietly(lane.thread()); // so that "no pyhost thread left" holds the moment close returns
        }
    }

    private static void joinQuietly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
