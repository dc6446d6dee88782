package io.pyhost.spi;

import io.pyhost.api.ContextOptions;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A mode: decides which interpreter a new context runs in. Strategy bundles register one as an
 * OSGi service with the {@value #MODE} property; core's {@code ContextFactory} binds them
 * dynamically, and when a strategy leaves, the contexts it opened are closed.
 */
@ConsumerType
public interface InterpreterStrategy {
    /** Service property naming the mode ({@code worker}, {@code subinterp}, {@code owngil}). */
    String MODE = "pyhost.mode";

    /**
     * Opens the interpreter for a new context. Called without the GIL, on the creating thread.
     *
     * @throws IllegalArgumentException the options do not suit this mode (the message says why)
     * @throws IllegalStateException    the running Python cannot support this mode
     */
    Interpreter open(Interpreters interpreters, ContextOptions options);

    /** Whether this mode's contexts are sandboxed when {@link ContextOptions#sandbox()} is null. */
    default boolean sandboxByDefault() {
        return false;
    }
}
