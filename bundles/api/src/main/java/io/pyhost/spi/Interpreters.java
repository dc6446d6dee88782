package io.pyhost.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What core's CPython bridge offers a strategy: the running Python's version, the main
 * interpreter and new sub-interpreters. Passed to {@link InterpreterStrategy#open}.
 */
@ProviderType
public interface Interpreters {

    /** The version of the CPython running in this JVM. */
    PythonVersion pythonVersion();

    /** The main interpreter: calls run on the caller's platform thread (or a pyhost thread for virtual callers). */
    Interpreter main();

    /**
     * A new sub-interpreter on a new platform thread that owns it: the thread creates it, runs
     * every call and ends it on {@link Interpreter#close()}. Costs tens of milliseconds.
     *
     * @throws IllegalStateException CPython refused to create it (the message says why)
     */
    Interpreter newSubInterpreter(SubInterpreterConfig config);
}
