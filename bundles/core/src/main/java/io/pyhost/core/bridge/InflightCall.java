package io.pyhost.core.bridge;

/**
 * One call in progress in an interpreter, as seen by a thread that may interrupt it. Its
 * fields change only with the interpreter's GIL held, so an interrupter holding that GIL sees
 * a consistent state: a call cannot end while the interrupter holds the GIL.
 */
public final class InflightCall {
    private long ident;        // Python thread ident of the thread running the call
    private boolean running;
    private boolean interrupted;
    private volatile boolean timedOut;
    private volatile String raisedBecause; // why pyhost raised an exception into the call, if it did

    void start(long threadIdent) {
        this.ident = threadIdent;
        this.running = true;
    }

    /** Ends the call; clears an interrupt that was requested but not yet delivered. GIL held. */
    void finish() {
        if (interrupted) {
            CApi.PyThreadState_SetAsyncExc(ident, java.lang.foreign.MemorySegment.NULL);
        }
        running = false;
    }

    /** Raises KeyboardInterrupt in the running call. GIL of the call's interpreter held. */
    boolean raiseInterrupt() {
        return raise(CApi.PyExc_KeyboardInterrupt, null);
    }

    /**
     * Raises {@code exceptionType} in the running call, once per call; {@code because} (if not
     * null) becomes the exception's message in Java. GIL of the call's interpreter held.
     */
    boolean raise(java.lang.foreign.MemorySegment exceptionType, String because) {
        if (!running || interrupted) {
            return false;
        }
        interrupted = CApi.PyThreadState_SetAsyncExc(ident, exceptionType) == 1;
        if (interrupted) {
            raisedBecause = because;
        }
        return interrupted;
    }

    /** Whether the calling thread is the one running this call (GIL held). */
    boolean runsOnCurrentThread() {
        return running && ident == CApi.PyThread_get_thread_ident();
    }

    /** Why pyhost raised into this call, or null. */
    public String raisedBecause() {
        return raisedBecause;
    }

    /** Marks that the interrupt, if any, came from the call's timeout. */
    public void markTimedOut() {
        timedOut = true;
    }

    /** Whether the call was interrupted because it ran past its timeout. */
    public boolean timedOut() {
        return timedOut;
    }
}
