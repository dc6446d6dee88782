package io.pyhost.api;

import java.time.Instant;

/**
 * A read-only view of an open context, for monitoring ({@link ContextFactory#contexts()}).
 *
 * @param id      the context's {@link PyContext#id()}
 * @param mode    its mode
 * @param strategy what made it: the strategy's bundle and version ({@code io.pyhost.strategy.owngil/0.1.0}),
 *                or {@code service:<id>} for a strategy registered otherwise
 * @param created when it was created
 * @param calls   how many eval/exec/call it has run (started)
 * @param busy    whether a call is running in it now
 */
public record ContextInfo(long id, String mode, String strategy, Instant created, long calls, boolean busy) {
}
