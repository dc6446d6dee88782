package io.pyhost.api;

import java.time.Instant;

/**
 * A call refused at once because its context is still running an earlier call that ran past its
 * timeout and did not stop when interrupted (it is blocked in C code). The context serves calls
 * again when that call returns; {@link ContextInfo.State#OVERDUE} shows the state meanwhile.
 */
public class ContextBusyException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final transient Instant busySince;

    public ContextBusyException(String message, Instant busySince) {
        super(message);
        this.busySince = busySince;
    }

    /** When the call that keeps the context busy started. */
    public Instant busySince() {
        return busySince;
    }
}
