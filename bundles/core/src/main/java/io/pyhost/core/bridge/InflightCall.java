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
        if (!running || interrupted) {
            return false;
        }
        interrupted = CApi.PyThreadState_SetAsyncExc(ident, CApi.PyExc_KeyboardInterrupt) == 1;
        return interrupted;
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
