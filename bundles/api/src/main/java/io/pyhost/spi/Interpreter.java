package io.pyhost.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An interpreter a context runs in, made by {@link Interpreters}. Opaque to strategies: they
 * return it from {@link InterpreterStrategy#open}; core runs the context's code in it and
 * {@linkplain #close() closes} it with the context.
 */
@ProviderType
public interface Interpreter extends AutoCloseable {

    /** CPython's interpreter id ({@code 0} for the main interpreter). */
    long interpreterId();

    /** Whether this is the main interpreter (shared by every worker context). */
    boolean isMain();

    /** Whether Python code here runs under its own GIL, in parallel with other interpreters. */
    boolean ownGil();

    /**
     * Releases the interpreter: a sub-interpreter is ended on its own thread and that thread
     * stops; the main interpreter is only released, never ended. Idempotent.
     */
    @Override
    void close();
}
