package jep;

/**
 * CPython's options for a sub-interpreter (Jep 4.2.2). pyhost runs two configurations: Jep's
 * {@link #legacy()} (a {@code subinterp} context: shared GIL) and {@link #isolated()} (an
 * {@code owngil} context: own GIL, own allocator, true parallelism). Other combinations are
 * refused with a {@link JepException} when the {@link SubInterpreter} is created.
 */
public class SubInterpreterOptions {
    protected boolean isolated;
    protected int useMainObmalloc;
    protected int allowFork;
    protected int allowExec;
    protected int allowThreads;
    protected int allowDaemonThreads;
    protected int checkMultiInterpExtensions;
    protected int ownGIL;

    protected SubInterpreterOptions(boolean isolated) {
        this.isolated = isolated;
        int on = isolated ? 0 : 1;
        useMainObmalloc = on;
        allowFork = on;
        allowExec = on;
        allowThreads = 1;
        allowDaemonThreads = on;
        checkMultiInterpExtensions = isolated ? 1 : 0;
        ownGIL = isolated ? 1 : 0;
    }

    public SubInterpreterOptions setUseMainObmalloc(boolean useMainObmalloc) {
        this.useMainObmalloc = useMainObmalloc ? 1 : 0;
        return this;
    }

    public SubInterpreterOptions setAllowFork(boolean allowFork) {
        this.allowFork = allowFork ? 1 : 0;
        return this;
    }

    public SubInterpreterOptions setAllowExec(boolean allowExec) {
        this.allowExec = allowExec ? 1 : 0;
        return this;
    }

    public SubInterpreterOptions setAllowThreads(boolean allowThreads) {
        this.allowThreads = allowThreads ? 1 : 0;
        return this;
    }

    public SubInterpreterOptions setAllowDaemonThreads(boolean allowDaemonThreads) {
        this.allowDaemonThreads = allowDaemonThreads ? 1 : 0;
        return this;
    }

    /** Jep's misspelled name, kept for binary compatibility. */
    public SubInterpreterOptions setCheckMultiInterpeExtensions(boolean check) {
        return setCheckMultiInterpExtensions(check);
    }

    public SubInterpreterOptions setCheckMultiInterpExtensions(boolean check) {
        this.checkMultiInterpExtensions = check ? 1 : 0;
        return this;
    }

    public SubInterpreterOptions setOwnGIL(boolean ownGIL) {
        this.ownGIL = ownGIL ? 1 : 0;
        return this;
    }

    /** Shared GIL, everything allowed (a pyhost {@code subinterp} context). */
    public static SubInterpreterOptions legacy() {
        return new SubInterpreterOptions(false);
    }

    /** Own GIL and allocator, no fork or exec, no daemon threads, isolated extensions only (a pyhost {@code owngil} context). */
    public static SubInterpreterOptions isolated() {
        return new SubInterpreterOptions(true);
    }

    /** The pyhost mode these options map to; a {@link JepException} when pyhost has no such configuration. */
    String mode() {
        int[] mine = {useMainObmalloc, allowFork, allowExec, allowThreads, allowDaemonThreads, checkMultiInterpExtensions, ownGIL};
        if (java.util.Arrays.equals(mine, legacy().fields())) {
            return "subinterp";
        }
        if (java.util.Arrays.equals(mine, isolated().fields())) {
            return "owngil";
        }
        throw new JepException("pyhost runs sub-interpreters with two configurations only: SubInterpreterOptions.legacy() "
                + "(mode subinterp, shared GIL) and SubInterpreterOptions.isolated() (mode owngil, own GIL); " + this
                + " is neither");
    }

    private int[] fields() {
        return new int[] {useMainObmalloc, allowFork, allowExec, allowThreads, allowDaemonThreads, checkMultiInterpExtensions, ownGIL};
    }

    @Override
    public String toString() {
        return "SubInterpreterOptions[useMainObmalloc=" + useMainObmalloc + ", allowFork=" + allowFork + ", allowExec=" + allowExec
                + ", allowThreads=" + allowThreads + ", allowDaemonThreads=" + allowDaemonThreads + ", checkMultiInterpExtensions="
                + checkMultiInterpExtensions + ", ownGIL=" + ownGIL + "]";
    }
}
