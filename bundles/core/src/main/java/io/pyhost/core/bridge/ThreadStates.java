package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One lasting Python thread state of the main interpreter per platform thread that calls it.
 *
 * <p>{@code PyGILState_Ensure} on a thread without a thread state creates and frees one per
 * call (10-17 µs); keeping one per thread and switching with {@code PyEval_RestoreThread} /
 * {@code PyEval_SaveThread} costs about 0.1 µs. The thread state of a thread that died is
 * freed the next time any thread attaches (with the GIL held, as {@code PyThreadState_Clear}
 * requires). A live thread's state is never freed by another thread: CPython keeps a
 * thread-local pointer to it, so freeing it from elsewhere could leave that pointer dangling.
 */
final class ThreadStates {
    private final MemorySegment interpreter;
    private final ThreadLocal<Slot> current = new ThreadLocal<>();
    private final Set<Slot> slots = ConcurrentHashMap.newKeySet();

    private static final class Slot {
        final Thread owner = Thread.currentThread();
        final MemorySegment tstate;
        final long ident;
        boolean attached;

        Slot(MemorySegment tstate, long ident) {
            this.tstate = tstate;
            this.ident = ident;
        }
    }

    ThreadStates(MemorySegment interpreter) {
        this.interpreter = interpreter;
    }

    /**
     * Makes this thread's thread state current, taking the GIL. Must be paired with
     * {@link #detach()} on the same thread.
     *
     * @return the Python thread ident of this thread (for interrupting it)
     * @throws IllegalStateException when called on a virtual thread, or re-entered
     */
    long attach() {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread cannot hold a Python thread state; hand the call to a platform thread");
        }
        Slot slot = current.get();
        if (slot == null) {
            MemorySegment tstate = leftBehind();
            if (tstate == null) {
                // PyThreadState_New needs no GIL; the first one made on a thread is also its PyGILState one.
                tstate = PyThreadState_New(interpreter);
            }
            if (tstate.address() == 0) {
                throw new IllegalStateException("PyThreadState_New failed (out of memory)");
            }
            PyEval_RestoreThread(tstate);
            slot = new Slot(tstate, PyThread_get_thread_ident());
            slot.attached = true;
            current.set(slot);
            reapDeadThreads(); // a new thread is the moment to look for ones that ended
            slots.add(slot);
            return slot.ident;
        }
        if (slot.attached) {
            throw new IllegalStateException("re-entrant Python call on thread " + Thread.currentThread().getName());
        }
        PyEval_RestoreThread(slot.tstate);
        slot.attached = true;
        return slot.ident;
    }

    /**
     * The thread state an earlier pyhost core (before a restart or refresh, in another class
     * loader) made for this thread in this interpreter, found as the thread's PyGILState one: it
     * is taken over instead of making a second one per core generation. Null when there is none,
     * or when it is attached right now (this thread is inside Python already; taking it would
     * deadlock, and making a new one is what the re-entrance check then refuses anyway).
     */
    private MemorySegment leftBehind() {
        MemorySegment bound = PyGILState_GetThisThreadState();
        if (bound.address() == 0 || PyThreadState_GetUnchecked().address() != 0
                || PyThreadState_GetInterpreter(bound).address() != interpreter.address()) {
            return null;
        }
        return bound;
    }

    /** Releases the GIL taken by {@link #attach()}. */
    void detach() {
        Slot slot = current.get();
        slot.attached = false;
        PyEval_SaveThread();
    }

    /** Frees this thread's state; called by pyhost's own threads before they end. */
    void releaseCurrentThread() {
        Slot slot = current.get();
        if (slot == null) {
            return;
        }
        current.remove();
        slots.remove(slot);
        PyEval_RestoreThread(slot.tstate);
        PyThreadState_Clear(slot.tstate);
        PyThreadState_DeleteCurrent(); // also releases the GIL
    }

    /** Frees the states of threads that have died. GIL held by the caller. */
    private void reapDeadThreads() {
        for (Slot slot : slots) {
            if (!slot.owner.isAlive() && slots.remove(slot)) {
                PyThreadState_Clear(slot.tstate);
                PyThreadState_Delete(slot.tstate);
            }
        }
    }
}
