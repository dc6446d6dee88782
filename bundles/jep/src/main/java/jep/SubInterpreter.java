package jep;

/**
 * An interpreter of its own (Jep 4.2.2): a pyhost {@code subinterp} context (a CPython
 * sub-interpreter sharing the GIL), or an {@code owngil} context when its
 * {@link SubInterpreterOptions} are {@link SubInterpreterOptions#isolated()} (own GIL: true
 * parallelism on CPython 3.14). Its modules, {@code sys.path} and globals are its own.
 *
 * <p><b>Threads (better than Jep).</b> Usable from any thread; calls are serialized. Many
 * isolated {@code SubInterpreter}s run Python at the same time, one per core. {@link #close()} is
 * bounded. Extension modules that refuse sub-interpreters (numpy) raise {@code ImportError}.
 */
public class SubInterpreter extends Jep {

    /** A sub-interpreter with Jep's defaults (legacy options: mode {@code subinterp}). */
    public SubInterpreter() throws JepException {
        this(new JepConfig());
    }

    /** A sub-interpreter made with {@code config}; options pyhost cannot honour are refused with a {@link JepException}. */
    public SubInterpreter(JepConfig config) throws JepException {
        super(config, true);
    }
}
