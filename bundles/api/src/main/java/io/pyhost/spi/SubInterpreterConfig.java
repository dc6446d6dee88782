package io.pyhost.spi;

/**
 * CPython's {@code PyInterpreterConfig} for a new sub-interpreter.
 *
 * @param ownGil                     own GIL (true parallelism; needs CPython 3.14+ in pyhost)
 * @param useMainObmalloc            share the main interpreter's allocator (must be false with ownGil)
 * @param allowFork                  {@code os.fork()} allowed
 * @param allowExec                  {@code os.exec*()} allowed
 * @param allowThreads               {@code threading} allowed
 * @param allowDaemonThreads         daemon threads allowed
 * @param checkMultiInterpExtensions refuse extension modules without multi-phase init
 */
public record SubInterpreterConfig(boolean ownGil, boolean useMainObmalloc, boolean allowFork,
        boolean allowExec, boolean allowThreads, boolean allowDaemonThreads,
        boolean checkMultiInterpExtensions) {

    /** {@code _PyInterpreterConfig_LEGACY_INIT}: shares the GIL; extensions load as in the main interpreter. */
    public static final SubInterpreterConfig LEGACY = new SubInterpreterConfig(false, true, true, true, true, true, false);

    /** {@code _PyInterpreterConfig_INIT}: own GIL, own allocator, no fork/exec, isolated extensions only. */
    public static final SubInterpreterConfig ISOLATED = new SubInterpreterConfig(true, false, false, false, true, false, true);

    public SubInterpreterConfig {
        if (ownGil && useMainObmalloc) {
            throw new IllegalArgumentException("an own-GIL interpreter cannot share the main obmalloc");
        }
        if (!useMainObmalloc && !checkMultiInterpExtensions) {
            throw new IllegalArgumentException("an interpreter with its own obmalloc must check multi-interpreter extensions");
        }
    }
}
