package jep;

/**
 * Jep's handle on CPython's main interpreter (4.2.2). In pyhost, pyhost core starts CPython once
 * per JVM; these static settings are accepted where pyhost can honour them and refused otherwise,
 * always before the first interpreter is made (as in Jep, later calls throw
 * {@link IllegalStateException}).
 */
public final class MainInterpreter implements AutoCloseable {
    private static volatile boolean used;
    private static volatile Integer dontWriteBytecode;

    private MainInterpreter() {
    }

    /**
     * Start-up flags. Accepted: an empty {@link PyConfig}, and {@code dontWriteBytecodeFlag}
     * (applied as {@code sys.dont_write_bytecode} to each new interpreter). Every other setting
     * is refused with a {@link JepException} naming it: CPython is already running, configured by
     * pyhost (PID {@code io.pyhost.python}).
     */
    public static void setInitParams(PyConfig config) throws IllegalStateException {
        checkUnused("setInitParams");
        java.util.List<String> refused = config.refused();
        if (!refused.isEmpty()) {
            throw new JepException("pyhost-jep cannot apply PyConfig " + refused + ": CPython is started once per JVM by "
                    + "pyhost core with its own configuration (PID io.pyhost.python); only dontWriteBytecodeFlag is applied");
        }
        dontWriteBytecode = config.dontWriteBytecodeFlag == -1 ? null : config.dontWriteBytecodeFlag;
    }

    /** Refused with a {@link JepException} when any argument is given: pyhost's CPython has no argv of Jep's. */
    public static void setSharedModulesArgv(String... argv) throws IllegalStateException {
        checkUnused("setSharedModulesArgv");
        if (argv != null && argv.length > 0) {
            throw new JepException("pyhost-jep does not set sys.argv of the main interpreter (setSharedModulesArgv): "
                    + "set it in Python (import sys; sys.argv = [...]) if your code needs it");
        }
    }

    /** Accepted and ignored: pyhost-jep has no native library (pyhost calls libpython through java.lang.foreign). */
    public static void setJepLibraryPath(String path) throws IllegalStateException {
        checkUnused("setJepLibraryPath");
    }

    /** Not needed in pyhost: there is no native Jep state to release. Does nothing. */
    @Override
    public void close() {
    }

    private static void checkUnused(String what) {
        if (used) {
            throw new IllegalStateException("MainInterpreter." + what + " must be called before the first interpreter is made");
        }
    }

    /** Marks CPython as in use (the first interpreter was made); the dontWriteBytecode flag to apply, or null. */
    static Boolean markUsed() {
        used = true;
        Integer flag = dontWriteBytecode;
        return flag == null ? null : flag != 0;
    }
}
