package io.pyhost.api;

import java.time.Instant;

/**
 * A read-only view of an open context, for monitoring ({@link ContextFactory#contexts()}).
 *
 * @param id      the context's {@link PyContext#id()}
 * @param mode    its mode
 * @param created when it was created
 * @param calls   how many eval/exec/call it has run (started)
 * @param busy    whether a call is running in it now
 */
public record ContextInfo(long id, String mode, Instant created, long calls, boolean busy) {
}
