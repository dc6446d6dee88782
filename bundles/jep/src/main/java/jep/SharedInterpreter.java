package jep;

/**
 * An interpreter sharing CPython's main interpreter with every other {@code SharedInterpreter}
 * (Jep 4.2.2): a pyhost {@code worker} context. Globals are its own; modules ({@code sys.modules})
 * and {@code sys.path} are shared, so a module imported by one is imported for all, and extension
 * modules that refuse sub-interpreters (numpy) work.
 *
 * <p><b>Threads (better than Jep).</b> Usable from any thread, not only the creating one; calls
 * on one interpreter are serialized, and different {@code SharedInterpreter}s take turns on the
 * one GIL. {@link #close()} is bounded.
 */
public class SharedInterpreter extends Jep {
    private static JepConfig config = new JepConfig();

    /** A new interpreter configured by {@link #setConfig(JepConfig)} (or the defaults). */
    public SharedInterpreter() throws JepException {
        super(currentConfig(), false);
    }

    private static synchronized JepConfig currentConfig() {
        return config;
    }

    /** Jep's hook; pyhost-jep configures the interpreter itself: does nothing. */
    @Override
    protected void configureInterpreter(JepConfig config) throws JepException {
    }

    /**
     * The configuration of every {@code SharedInterpreter} made from now on: include paths (added
     * to the shared {@code sys.path}), class loader and enquirer, output streams. Shared modules
     * are refused as in Jep ({@code "sharedModules cannot be used with SharedInterpreters"}): every
     * module is shared here already. Unlike Jep, a config set after the first
     * {@code SharedInterpreter} was made is not refused: it applies to the ones made later.
     */
    public static synchronized void setConfig(JepConfig config) throws JepException {
        if (config == null) {
            throw new JepException("SharedInterpreter.setConfig: config must not be null");
        }
        if (config.sharedModules != null) {
            throw new JepException("sharedModules cannot be used with SharedInterpreters");
        }
        if (config.subInterpOptions != null) {
            throw new JepException("SharedInterpreter.setConfig: SubInterpreterOptions apply to SubInterpreters only");
        }
        SharedInterpreter.config = config;
    }
}
