package io.pyhost.core.bridge;

import java.lang.foreign.MemorySegment;
import java.time.Instant;

/**
 * One call in an interpreter, as seen by a thread that may interrupt it. Its state changes only
 * with the interpreter's GIL held, so an interrupter holding that GIL sees a consistent state: a
 * call cannot start or end while the interrupter holds the GIL.
 */
public final class InflightCall {
    /** Where a call is in its life. */
    public enum State {
        /** Handed over, not yet running (queued for a lane, or behind the GIL). */
        WAITING,
        /** Running Python code (or C code called from it). */
        RUNNING,
        /** Returned or raised; nothing can reach it any more. */
        ENDED
    }

    private final java.util.concurrent.atomic.AtomicReference<State> state = new java.util.concurrent.atomic.AtomicReference<>(State.WAITING);
    private long ident;                      // Python thread ident of the thread running the call
    private boolean raised;                  // an async exception was set and may not have been delivered yet
    private volatile boolean timedOut;
    private volatile long timedOutAtNanos;
    private volatile boolean interruptRequested;
    private volatile Instant startedAt;
    private volatile String raisedBecause;   // why pyhost raised an exception into the call, if it did
    private long raisesHeldUntil;            // System.nanoTime() before which nothing is raised (GIL-guarded)

    /**
     * Starts the call unless it was abandoned or its caller's timeout passed before it could start
     * (then it stays WAITING until the caller abandons it: the caller owns its end). GIL held.
     */
    boolean start(long threadIdent) {
        if (timedOut) {
            return false;
        }
        this.ident = threadIdent;
        this.startedAt = Instant.now();
        return state.compareAndSet(State.WAITING, State.RUNNING);
    }

    /** Ends the call; clears an exception that was requested but not yet delivered. GIL held. */
    void finish() {
        if (raised) {
            CApi.PyThreadState_SetAsyncExc(ident, MemorySegment.NULL);
            raised = false;
        }
        state.set(State.ENDED);
    }

    /**
     * Marks a call that has not started as one that never will (its caller gave up, or its
     * interpreter is gone); returns whether it did (false: the call started or ended already).
     */
    public boolean abandon() {
        return state.compareAndSet(State.WAITING, State.ENDED);
    }

    public State state() {
        return state.get();
    }

    /** When the call started running, or null while it waits. */
    public Instant startedAt() {
        return startedAt;
    }

    /**
     * Raises {@code exceptionType} in the running call; may be repeated (a call that catches the
     * exception and goes on gets it again). {@code because} (if not null) becomes the exception's
     * message in Java. GIL of the call's interpreter held. Returns whether the call was running.
     */
    boolean raise(MemorySegment exceptionType, String because) {
        if (state.get() != State.RUNNING) {
            return false;
        }
        if (CApi.PyThreadState_SetAsyncExc(ident, exceptionType) == 1) {
            raised = true;
            if (because != null) {
                raisedBecause = because;
            }
        }
        return true;
    }

    /**
     * The call's exception is being described for Java (its type, message and traceback, by
     * pyhost's helper code): clears an exception raised but not yet delivered, and raises
     * nothing more for {@code holdNanos}, so an interrupt storm cannot turn the description into
     * a second exception. The hold is bounded: an exception whose description does not end (a
     * {@code __str__} that loops) is interrupted after it. GIL held, on the call's thread.
     */
    void holdRaises(long holdNanos) {
        if (raised) {
            CApi.PyThreadState_SetAsyncExc(ident, MemorySegment.NULL);
            raised = false;
        }
        raisesHeldUntil = System.nanoTime() + holdNanos;
    }

    /** Nanoseconds left before the call may be raised into again (0: it may now). GIL held. */
    long raisesHeldFor(long now) {
        return Math.max(0, raisesHeldUntil - now);
    }

    /** Why pyhost raised into this call, or null. */
    public String raisedBecause() {
        return raisedBecause;
    }

    /** Marks that pyhost was asked to interrupt the call ({@code PyContext.interrupt()}, close). */
    public void markInterruptRequested() {
        interruptRequested = true;
    }

    /** Whether pyhost was asked to interrupt the call. */
    public boolean interruptRequested() {
        return interruptRequested;
    }

    /** Marks that the interrupt, if any, came from the call's timeout. */
    public void markTimedOut() {
        timedOutAtNanos = System.nanoTime();
        timedOut = true;
    }

    /** Nanoseconds since the call's timeout passed (0 if it has not). */
    public long nanosPastTimeout() {
        return timedOut ? System.nanoTime() - timedOutAtNanos : 0;
    }

    /** Whether the call was interrupted because it ran past its timeout. */
    public boolean timedOut() {
        return timedOut;
    }
}
