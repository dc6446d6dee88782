package io.pyhost.api;

import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates isolated Python contexts. How a context runs Python is its <em>mode</em>, supplied
 * by a strategy bundle: {@value #WORKER} (the main interpreter), {@value #SUBINTERP} (a
 * sub-interpreter per context sharing the GIL) or {@value #OWNGIL} (a sub-interpreter per
 * context with its own GIL).
 *
 * <p>Thread-safe. Creation applies the current preload (see {@link PreloadService}); its cost
 * is a copy of the preloaded namespace when the interpreter already has it, the preload's own
 * run time otherwise, plus tens of milliseconds for a new sub-interpreter.
 */
@ProviderType
public interface ContextFactory {
    String WORKER = "worker";
    String SUBINTERP = "subinterp";
    String OWNGIL = "owngil";
    /** A child process per context, with kernel-enforced limits (since 1.4). */
    String PROCESS = "process";

    /**
     * Creates a context.
     *
     * @throws IllegalArgumentException the mode is unknown or its strategy is absent (the
     *         message names the modes present)
     * @throws PyException the preload raised; nothing is left behind
     * @throws NullPointerException options is null
     */
    PyContext create(ContextOptions options);

    /** {@code create(ContextOptions.mode(mode))}. */
    default PyContext create(String mode) {
        return create(ContextOptions.mode(mode));
    }

    /** Modes whose strategy is present right now. */
    Set<String> modes();

    /** The contexts open right now, oldest first (a snapshot; cheap). */
    java.util.List<ContextInfo> contexts();
}
