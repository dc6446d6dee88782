package io.pyhost.core.bridge;

/** Work that runs with an interpreter's thread state attached (its GIL held). */
@FunctionalInterface
public interface GilTask<T> {
    T run(PythonInterpreter interpreter);
}
