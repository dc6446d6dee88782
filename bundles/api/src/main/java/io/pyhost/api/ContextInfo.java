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
 * @param pid       the process id of the child process the context runs in (mode {@code process});
 *                  {@link #NONE} for a context in this JVM's process (since 1.4)
 * @param residentBytes the resident set size of that child process ({@code VmRSS}), in bytes;
 *                  {@link #NONE} for a context in this JVM's process or when it cannot be read (since 1.4)
 */
public record ContextInfo(long id, String mode, String strategy, Instant created, long calls, boolean busy, State state,
        Instant busySince, long pid, long residentBytes) {

    /** {@link #pid()} and {@link #residentBytes()} of a context without a process of its own. */
    public static final long NONE = -1;

    /** A context in this JVM's process: no {@link #pid()}, no {@link #residentBytes()}. */
    public ContextInfo(long id, String mode, String strategy, Instant created, long calls, boolean busy, State state,
            Instant busySince) {
        this(id, mode, strategy, created, calls, busy, state, busySince, NONE, NONE);
    }

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
