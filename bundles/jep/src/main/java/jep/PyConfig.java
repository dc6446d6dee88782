package jep;

/**
 * CPython's start-up flags (Jep 4.2.2), for {@link MainInterpreter#setInitParams(PyConfig)}. In
 * pyhost CPython is started once per JVM by pyhost core, configured through the
 * {@code io.pyhost.python} configuration ({@code home}, {@code library}); a flag that can only be
 * set at start-up is refused, {@code dontWriteBytecodeFlag} is applied to each new interpreter
 * ({@code sys.dont_write_bytecode}). A field left unset is -1 (or null).
 */
public class PyConfig {
    protected int noSiteFlag = -1;
    protected int noUserSiteDirectory = -1;
    protected int ignoreEnvironmentFlag = -1;
    protected int verboseFlag = -1;
    protected int optimizeFlag = -1;
    protected int dontWriteBytecodeFlag = -1;
    protected int hashRandomizationFlag = -1;
    protected String pythonHome;
    protected String programName;

    public PyConfig() {
    }

    public PyConfig setNoSiteFlag(int noSiteFlag) {
        this.noSiteFlag = noSiteFlag;
        return this;
    }

    public PyConfig setNoUserSiteDirectory(int noUserSiteDirectory) {
        this.noUserSiteDirectory = noUserSiteDirectory;
        return this;
    }

    public PyConfig setIgnoreEnvironmentFlag(int ignoreEnvironmentFlag) {
        this.ignoreEnvironmentFlag = ignoreEnvironmentFlag;
        return this;
    }

    public PyConfig setVerboseFlag(int verboseFlag) {
        this.verboseFlag = verboseFlag;
        return this;
    }

    public PyConfig setOptimizeFlag(int optimizeFlag) {
        this.optimizeFlag = optimizeFlag;
        return this;
    }

    public PyConfig setDontWriteBytecodeFlag(int dontWriteBytecodeFlag) {
        this.dontWriteBytecodeFlag = dontWriteBytecodeFlag;
        return this;
    }

    public PyConfig setHashRandomizationFlag(int hashRandomizationFlag) {
        this.hashRandomizationFlag = hashRandomizationFlag;
        return this;
    }

    public PyConfig setPythonHome(String pythonHome) {
        this.pythonHome = pythonHome;
        return this;
    }

    public PyConfig setProgramName(String programName) {
        this.programName = programName;
        return this;
    }

    /** The start-up-only settings this config sets, each with what to do instead; empty when pyhost can honour it. */
    java.util.List<String> refused() {
        java.util.List<String> out = new java.util.ArrayList<>();
        refuse(out, "noSiteFlag", noSiteFlag);
        refuse(out, "noUserSiteDirectory", noUserSiteDirectory);
        refuse(out, "ignoreEnvironmentFlag", ignoreEnvironmentFlag);
        refuse(out, "verboseFlag", verboseFlag);
        refuse(out, "optimizeFlag", optimizeFlag);
        refuse(out, "hashRandomizationFlag", hashRandomizationFlag);
        if (pythonHome != null) {
            out.add("pythonHome (configure PID io.pyhost.python, key home, with a matching library)");
        }
        if (programName != null) {
            out.add("programName");
        }
        return out;
    }

    private static void refuse(java.util.List<String> out, String name, int value) {
        if (value != -1) {
            out.add(name);
        }
    }

    @Override
    public String toString() {
        return "PyConfig[noSiteFlag=" + noSiteFlag + ", noUserSiteDirectory=" + noUserSiteDirectory + ", ignoreEnvironmentFlag="
                + ignoreEnvironmentFlag + ", verboseFlag=" + verboseFlag + ", optimizeFlag=" + optimizeFlag
                + ", dontWriteBytecodeFlag=" + dontWriteBytecodeFlag + ", hashRandomizationFlag=" + hashRandomizationFlag
                + ", pythonHome=" + pythonHome + ", programName=" + programName + "]";
    }
}
