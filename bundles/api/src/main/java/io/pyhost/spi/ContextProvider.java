package io.pyhost.spi;

import io.pyhost.api.ContextOptions;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A strategy that makes whole contexts itself instead of handing core an interpreter of this
 * JVM's CPython: the {@code process} mode, whose contexts live in a child process. Registered
 * like any strategy (an {@link InterpreterStrategy} service with the {@value InterpreterStrategy#MODE}
 * property), so binding, ranking, {@code modeWait} and hot swapping work unchanged.
 *
 * <p><b>The cut.</b> Core keeps what is the same in every mode: which strategy serves a mode, the
 * context ids, the effective preload (taken once per creation as one consistent snapshot), the
 * configured call and close timeouts, the {@code contexts()} listing, and closing a strategy's
 * contexts when it leaves and every context when core stops. The provider does the rest: it
 * starts whatever runs the Python, applies the {@link ContextRequest preload} there in core's order
 * (paths, then imports, then fragments in order, then the context's own preload), converts values,
 * enforces timeouts, and reports its state through {@link ProvidedContext#info}. Features that
 * live in this JVM's CPython ({@code PyObject} handles, {@code pyhost.call}, Java objects in Python)
 * are the provider's to offer or refuse.
 *
 * <p>{@link #open(Interpreters, ContextOptions)} is never called for a provider.
 */
@ConsumerType
public interface ContextProvider extends InterpreterStrategy {

    /**
     * Opens a context. Called on the creating thread, without any lock of core's held; may take
     * as long as starting the context takes (tens of milliseconds for a process). On success the
     * provider must call {@link ContextRequest#closed()} exactly once when the context is closed,
     * for whatever reason.
     *
     * @throws IllegalArgumentException the options do not suit this mode (the message says why)
     * @throws IllegalStateException    the context could not be started (the message says why)
     * @throws io.pyhost.api.PyException the preload raised; nothing is left behind
     */
    ProvidedContext openContext(ContextRequest request);

    /**
     * Keeps {@code size} contexts' worth of whatever runs the Python ready ahead of need, with the
     * shared preload applied (core's {@code warmPool = <mode>=N}); 0: none. {@code template} gives a
     * request as core would make it now for {@code ContextOptions.mode(mode)} (id 0, the current
     * preload snapshot); core calls this again whenever the size or the effective preload changes,
     * so what was prepared for an older preload can be ended. Cheap: the work happens elsewhere.
     * By default nothing is pooled. (Since 1.2.)
     */
    default void warmPool(int size, java.util.function.Supplier<ContextRequest> template) {
    }

    /** Not used for providers: core calls {@link #openContext(ContextRequest)} instead. */
    @Override
    default Interpreter open(Interpreters interpreters, ContextOptions options) {
        throw new UnsupportedOperationException("this strategy opens whole contexts (ContextProvider.openContext)");
    }
}
