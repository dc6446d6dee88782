package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.List;
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
    private boolean ending;            // guarded by lifecycle: no new helper thread state may enter
    private int helpersActive;         // guarded by lifecycle: thread states of other threads (interrupters) in this interpreter
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

    private static java.lang.invoke.VarHandle configField(String name) {
        return field(PY_INTERPRETER_CONFIG, name);
    }

    private void live() {
        OWNS_AN_INTERPRETER.set(true);
        int gilState = PyGILState_Ensure();
        MemorySegment mainTstate = PyGILState_GetThisThreadState();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cfg = arena.allocate(PY_INTERPRETER_CONFIG);
            configField("use_main_obmalloc").set(cfg, config.useMainObmalloc() ? 1 : 0);
            configField("allow_fork").set(cfg, config.allowFork() ? 1 : 0);
            configField("allow_exec").set(cfg, config.allowExec() ? 1 : 0);
            configField("allow_threads").set(cfg, config.allowThreads() ? 1 : 0);
            configField("allow_daemon_threads").set(cfg, config.allowDaemonThreads() ? 1 : 0);
            configField("check_multi_interp_extensions").set(cfg, config.checkMultiInterpExtensions() ? 1 : 0);
            configField("gil").set(cfg, config.ownGil() ? OWN_GIL : SHARED_GIL);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment status = Py_NewInterpreterFromConfig(arena, out, cfg);
            MemorySegment created = out.get(ValueLayout.ADDRESS, 0);
            if ((int) PY_STATUS_TYPE.get(status) != 0 || created.address() == 0) {
                MemorySegment msg = (MemorySegment) PY_STATUS_ERR_MSG.get(status);
                String why = msg.address() == 0 ? "no reason given" : msg.reinterpret(4096).getString(0);
                // On failure CPython has made the main thread state current again.
                PyGILState_Release(gilState);
                createdSignal.completeExceptionally(new IllegalStateException("Py_NewInterpreterFromConfig failed: " + why));
                ended.complete(null);
                return;
            }
            tstate = created;
            interpState = PyInterpreterState_Get();
            registerState(interpState);
            id = PyInterpreterState_GetID(interpState);
            threadIdent = PyThread_get_thread_ident();
            if (has__PyInterpreterState_SetRunningMain() && _PyInterpreterState_SetRunningMain(interpState) != 0) {
                PyErr_Clear(); // not marked: only _interpreters.destroy/exec from other code stay possible
            }
            PyEval_SaveThread();
        }
        createdSignal.complete(null);
        try {
            serve();
        } finally {
            end();
            PyEval_RestoreThread(mainTstate);
            PyGILState_Release(gilState);
            ended.complete(null);
        }
    }

    /**
     * Ends the interpreter, on its own thread, holding nothing. Py_EndInterpreter joins the
     * interpreter's non-daemon Python threads and aborts the process if another thread state is
     * still attached to it, so first: no interrupter may hold a thread state here, and every
     * Python thread is asked to stop ({@code SystemExit}, repeated) until none is left. A thread
     * that never stops (blocked in C) keeps this thread waiting: the interpreter is abandoned,
     * never ended under it; its closer stopped waiting at its own bound.
     */
    private void end() {
        synchronized (lifecycle) {
            ending = true;
            boolean interrupted = false;
            while (helpersActive > 0) {
                try {
                    lifecycle.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        MemoryWatch.forget(this);
        PyEval_RestoreThread(tstate);
        stopPythonThreads();
        if (has__PyInterpreterState_SetRunningMain()) {
            _PyInterpreterState_SetNotRunningMain(interpState); // Py_EndInterpreter refuses a running interpreter
        }
        releaseObjects(); // not needed for memory (the interpreter frees all), but drops Java's handles
        unregisterState(interpState);
        synchronized (lifecycle) {
            interpState = null;
        }
        Py_EndInterpreter(tstate); // returns with no thread state current
    }

    /** GIL held, on return too: raises SystemExit in every other Python thread until none is left. */
    private void stopPythonThreads() {
        long pause = 10;
        for (List<Long> others; !(others = otherPythonThreads()).isEmpty(); ) {
            for (long ident : others) {
                PyThreadState_SetAsyncExc(ident, PyExc_SystemExit);
            }
            PyEval_SaveThread(); // let them run into it
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            pause = Math.min(1000, pause * 2);
            PyEval_RestoreThread(tstate);
        }
    }

    /**
     * Idents of every other thread with a thread state in this interpreter: threading threads and
     * also raw {@code _thread.start_new_thread} ones, which {@code threading.enumerate()} does not
     * list and {@code Py_EndInterpreter} does not wait for (it frees their thread states under
     * them: a crash when they wake). Read from the interpreter's list of thread states; where the
     * thread id's place in {@code PyThreadState} is not as measured, the threading list only. GIL held.
     */
    @SuppressWarnings("unchecked")
    private List<Long> otherPythonThreads() {
        java.util.LinkedHashSet<Long> idents = new java.util.LinkedHashSet<>();
        if (threadIdReadable()) {
            for (MemorySegment ts = PyInterpreterState_ThreadHead(interpState); ts.address() != 0; ts = PyThreadState_Next(ts)) {
                if (ts.address() != tstate.address()) {
                    idents.add(threadIdOf(ts));
                }
            }
        }
        MemorySegment result = PyObject_CallObject(helper("other_threads"), MemorySegment.NULL);
        if (result.address() == 0) {
            PyErr_Clear(); // a broken threading module: no threads it could name
        } else {
            try {
                idents.addAll((List<Long>) (List<?>) Values.toJava(result));
            } catch (RuntimeException e) {
                PyErr_Clear();
            } finally {
                Py_DecRef(result);
            }
        }
        return List.copyOf(idents);
    }

    /** offsetof(PyThreadState, thread_id) in CPython 3.12-3.14 (Include/cpython/pystate.h, 64-bit). */
    private static final long THREAD_ID_OFFSET = 152;

    private static long threadIdOf(MemorySegment threadState) {
        return threadState.reinterpret(THREAD_ID_OFFSET + 8).get(ValueLayout.JAVA_LONG, THREAD_ID_OFFSET);
    }

    /** Whether this thread's own thread state holds its ident where {@link #threadIdOf} reads it. */
    private boolean threadIdReadable() {
        return threadIdOf(tstate) == threadIdent;
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
    MemorySegment state() {
        return interpState;
    }

    @Override
    public <T> T call(InflightCall call, Duration timeout, GilTask<T> task) {
        if (reentered() && timeout == null) {
            return callInline(call, task); // Python -> Java -> Python on one thread (its own or a Python thread's)
        }
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
    boolean withGil(Runnable action) {
        MemorySegment state;
        synchronized (lifecycle) {
            if (ending || interpState == null) {
                return false;
            }
            helpersActive++;
            state = interpState;
        }
        try {
            // A short-lived thread state of this interpreter on the calling thread: taking the
            // interpreter's GIL makes the running call pause at its next eval-breaker check.
            MemorySegment helperState = PyThreadState_New(state);
            PyEval_RestoreThread(helperState);
            try {
                action.run();
            } finally {
                PyThreadState_Clear(helperState);
                PyThreadState_DeleteCurrent();
            }
            return true;
        } finally {
            synchronized (lifecycle) {
                helpersActive--;
                lifecycle.notifyAll();
            }
        }
    }

    @Override
    void interrupterExits() {
        // its thread states here were short-lived: nothing is left to release
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
     * Holds this interpreter to {@code bytes} of obmalloc arenas (see {@link MemoryWatch}): past
     * it the running call gets {@code MemoryError}. The interpreter's Python may no longer start
     * threads (a thread could allocate while no call runs, out of the cap's reach).
     *
     * @throws IllegalStateException the interpreter shares the main allocator, or this CPython's
     *                               arena count cannot be read
     */
    public void limitMemory(long bytes, io.pyhost.spi.PythonVersion version) {
        if (!ownAllocator()) {
            throw new IllegalStateException("an interpreter that shares the main allocator cannot be capped");
        }
        String unsupported = MemoryWatch.unsupportedOn(version);
        if (unsupported != null) {
            throw new IllegalStateException(unsupported);
        }
        MemorySegment counter;
        synchronized (lifecycle) {
            if (interpState == null || ending) {
                throw new IllegalStateException("the sub-interpreter was closed");
            }
            counter = MemoryWatch.counterOf(interpState);
        }
        call(in -> {
            MemoryWatch.verifyCounter(counter);
            MemorySegment done = Values.callWith(helper("refuse_threads"),
                    List.of("a context with a memory limit cannot start threads: pyhost counts its memory while a call runs"));
            if (done.address() == 0) {
                throw PyErrors.fetch(in, null);
            }
            Py_DecRef(done);
            return null;
        });
        MemoryWatch.watch(this, counter, bytes);
    }

    /** From {@link MemoryWatch}, without the GIL: the interpreter holds more than its cap. */
    void overCap(long bytes) {
        InflightCall call = running();
        // A call being stopped (timeout, interrupt(), close) is left alone: CPython keeps one pending
        // asynchronous exception per thread, and a MemoryError set now could replace the
        // KeyboardInterrupt before it lands; code that catches MemoryError would then never stop.
        if (call != null && !call.interruptRequested() && !call.timedOut()) {
            raiseOnce(call, PyExc_MemoryError, "the context exceeded its memory limit of " + bytes + " bytes");
        }
    }

    /** {@link #close(Duration)} with {@link #CLOSE_BOUND}. */
    @Override
    public void close() {
        close(CLOSE_BOUND);
    }

    /** How long {@link #close()} waits for the interpreter to end before leaving it behind. */
    public static final Duration CLOSE_BOUND = Duration.ofMillis(Long.getLong("pyhost.close.timeoutMillis", 5000));

    /**
     * Ends the interpreter on its thread after the calls already queued; waits for that up to
     * {@code bound}. Idempotent. Returns whether it ended; if not (a call or a Python thread is
     * stuck in C code), the interpreter thread goes on trying by itself and ends the interpreter
     * once it can; {@link #ended()} completes then.
     */
    @Override
    public boolean close(Duration bound) {
        synchronized (lifecycle) {
            if (!closing) {
                closing = true;
                lane.offer(END);
            }
        }
        if (Thread.currentThread() == lane.thread()) {
            return false;
        }
        long deadline = System.nanoTime() + bound.toNanos();
        boolean interrupted = Thread.interrupted(); // an interrupted closer still waits its bound
        try {
            while (true) {
                try {
                    ended.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            // never completed exceptionally
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        joinQuietly(lane.thread()); // so that "no pyhost thread left" holds the moment close returns
        return true;
    }

    /** Completes when the interpreter has ended (or failed to start). */
    @Override
    public CompletableFuture<Void> ended() {
        return ended;
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
