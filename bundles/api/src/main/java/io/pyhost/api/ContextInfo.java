package io.pyhost.api;

import java.time.Instant;

/**
 * A read-only view of an open context, for monitoring ({@link ContextFactory#contexts()}).
 *
 * @param id        the context's {@link PyContext#id()}
 * @param mode      its mode
 * @param strategy  what made it: the strategy's bundle and version ({@code io.pyhost.strategy.owngil/0.1.0}),
 *                  or {@code service:<id>} for a strategy registered otherwise
 * @param created   when it was created
 * @param calls     how many eval/exec/call it has run (started)
 * @param busy      whether a call is running in it now
 * @param state     where it stands (see {@link State})
 * @param busySince when the call running now started; null when idle
 */
public record ContextInfo(long id, String mode, String strategy, Instant created, long calls, boolean busy, State state,
        Instant busySince) {

    /** Where a context stands. */
    public enum State {
        /** Open, no call running. */
        IDLE,
        /** Open, a call running within its timeout (or without one). */
        BUSY,
        /**
         * Open, a call running past its timeout that has not stopped although interrupted (it is
         * blocked in C code); new calls fail at once with {@link ContextBusyException} until it returns.
         */
        OVERDUE,
        /**
         * Closed, but its interpreter could not be ended within the close bound (a call or a
         * Python thread is stuck in C code); pyhost ends it as soon as it can and then drops it
         * from {@link ContextFactory#contexts()}.
         */
        ABANDONED
    }
}
