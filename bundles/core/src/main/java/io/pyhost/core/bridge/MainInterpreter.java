package io.pyhost.core.bridge;

import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * The main interpreter, shared by every worker context.
 *
 * <p>A platform thread runs its calls itself, with a lasting thread state of its own
 * ({@link ThreadStates}). Calls from virtual threads, and calls with a timeout (whose caller
 * must be free to stop waiting), are handed to a bounded pool of pyhost platform threads
 * ({@code pyhost-main-N}, see {@link LanePool}) that keep their thread states while they live
 * and free them when they end (after 30 s idle, or at {@link #shutdown()}). Beyond the bound,
 * calls wait for a lane; the wait counts in their timeout.
 */
public final class MainInterpreter extends PythonInterpreter {
    private final ThreadStates threadStates;
    private final LanePool lanes;

    /**
     * Shared by every runtime this class loader starts: a core bundle that stops and starts
     * again finds its callers' thread states still there instead of leaking one per thread; a
     * refreshed core (a new class loader) takes them over through PyGILState
     * ({@code ThreadStates.leftBehind}).
     */
    private static ThreadStates sharedThreadStates;

    private static synchronized ThreadStates threadStatesOf(MemorySegment interpreterState) {
        if (sharedThreadStates == null) {
            sharedThreadStates = new ThreadStates(interpreterState);
        }
        return sharedThreadStates;
    }

    MainInterpreter(MemorySegment interpreterState, int maxLanes) {
        this.interpreterState = interpreterState;
        registerState(interpreterState);
        this.threadStates = threadStatesOf(interpreterState);
        this.lanes = new LanePool("pyhost-main-", maxLanes, threadStates::releaseCurrentThread);
    }

    private final MemorySegment interpreterState;

    @Override
    MemorySegment state() {
        return interpreterState;
    }

    @Override
    public <T> T call(InflightCall call, Duration timeout, GilTask<T> task) {
        if (reentered() && timeout == null) {
            return callInline(call, task); // Python -> Java -> Python on one thread (a bounded call is handed off: the GIL is free)
        }
        if (timeout == null && !Thread.currentThread().isVirtual() && !OWNS_AN_INTERPRETER.get()) {
            return runHere(call, task);
        }
        Handoff<T> handoff = new Handoff<>(() -> runHere(call, task));
        lanes.execute(handoff);
        return awaitOrInterrupt(handoff, call, timeout);
    }

    private <T> T runHere(InflightCall call, GilTask<T> task) {
        long ident = threadStates.attach();
        try {
            return runAttached(ident, call, task);
        } finally {
            threadStates.detach();
        }
    }

    @Override
    boolean withGil(Runnable action) {
        threadStates.attach();
        try {
            action.run();
            return true;
        } finally {
            threadStates.detach();
        }
    }

    @Override
    void interrupterExits() {
        threadStates.releaseCurrentThread();
    }

    @Override
    public long interpreterId() {
        return 0;
    }

    @Override
    public boolean isMain() {
        return true;
    }

    @Override
    public boolean ownGil() {
        return false;
    }

    @Override
    public boolean ownAllocator() {
        return false;
    }

    /**
     * How many platform threads may run handed-off calls at once (virtual callers, calls with a
     * timeout); more wait in arrival order. At least 1.
     */
    public void setMaxLanes(int maxLanes) {
        lanes.setMaxLanes(maxLanes);
    }

    /** Lanes running now. */
    public int lanes() {
        return lanes.size();
    }

    /** The main interpreter is shared and lives as long as the JVM: closing a handle to it does nothing. */
    @Override
    public void close() {
    }

    @Override
    public boolean close(Duration bound) {
        return true;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> ended() {
        return new java.util.concurrent.CompletableFuture<>();
    }

    /** Releases cached objects and stops the pool threads (they free their thread states); bounded. */
    void shutdown(Duration bound) {
        try {
            call(null, bound, interpreter -> { // handed off and bounded: C code may hold the main GIL
                releaseObjects();
                return null;
            });
        } catch (CallTimeoutException | IllegalStateException busy) {
            // the cached code objects stay referenced; CPython outlives this runtime anyway
        }
        lanes.shutdown(bound);
        // The calling thread's own thread state is kept (ThreadStates outlives this runtime in this
        // class loader and reuses it): freeing it needs the GIL, which C code may hold for ever.
    }
}
