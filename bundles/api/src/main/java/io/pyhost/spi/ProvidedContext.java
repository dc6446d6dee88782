package io.pyhost.spi;

import io.pyhost.api.ContextInfo;
import io.pyhost.api.PyContext;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A context made by a {@link ContextProvider}. Besides the {@link PyContext} contract it answers
 * core's monitoring and can be closed with a reason, which later calls' {@link IllegalStateException}
 * repeats.
 */
@ConsumerType
public interface ProvidedContext extends PyContext {

    /**
     * Closes the context, telling later callers {@code reason} (e.g. "its strategy for mode
     * 'process' (...) left"). Idempotent; bounded by the request's close timeout.
     */
    void close(String reason);

    /** Where the context stands now, for {@code ContextFactory.contexts()}; {@code strategy} as core names it. Cheap. */
    ContextInfo info(String strategy);
}
