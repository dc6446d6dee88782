package jep;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pyhost.jep.internal.Session;

/**
 * What {@link SharedInterpreter} and {@link SubInterpreter} share (Jep 4.2.2's base class), on a
 * pyhost context.
 *
 * <p><b>Threads (better than Jep).</b> Any thread may use the interpreter; calls are serialized.
 * Jep requires the creating thread for every call and throws otherwise; pyhost-jep does not.
 * <b>Closing</b> is bounded: a call running on another thread is interrupted.
 */
public abstract class Jep implements Interpreter {
    private final Session session;

    /** Refused: Jep 4 made this class abstract; use {@link SharedInterpreter} or {@link SubInterpreter}. */
    public Jep() throws JepException {
        this(new JepConfig());
    }

    /** Refused: see {@link #Jep()}. */
    public Jep(JepConfig config) throws JepException {
        throw new JepException("make a SharedInterpreter or a SubInterpreter, not a subclass of jep.Jep");
    }

    /**
     * Makes the interpreter: a pyhost context of the mode {@code subInterpreter} asks for
     * ({@code owngil} when the config's {@link SubInterpreterOptions} want an own GIL), readied for
     * Jep's Python side.
     */
    Jep(JepConfig config, boolean subInterpreter) throws JepException {
        this.session = open(config == null ? new JepConfig() : config, subInterpreter);
    }

    private Session open(JepConfig config, boolean subInterpreter) {
        String kind = subInterpreter ? "SubInterpreter" : "SharedInterpreter";
        String mode;
        if (subInterpreter) {
            SubInterpreterOptions options = config.subInterpOptions == null ? SubInterpreterOptions.legacy() : config.subInterpOptions;
            if (config.sharedModules != null && !config.sharedModules.isEmpty()) {
                if (options.useMainObmalloc == 0) {
                    throw new JepException("Shared modules can only be used with a shared allocator.");
                }
                throw new JepException("pyhost-jep cannot share modules " + config.sharedModules + " into a SubInterpreter: "
                        + "pyhost's sub-interpreters share no Python objects with other interpreters; import the modules in the "
                        + "SubInterpreter, or use a SharedInterpreter (all its modules are shared)");
            }
            mode = options.mode();
        } else {
            mode = "worker";
        }
        Class<?> caller = callerClass();
        ClassLoader loader = config.classLoader != null ? config.classLoader
                : caller != null && caller.getClassLoader() != null ? caller.getClassLoader() : Jep.class.getClassLoader();
        List<String> paths = new ArrayList<>();
        if (config.includePath != null) {
            for (String p : config.includePath.toString().split(File.pathSeparator)) {
                if (!p.isEmpty()) {
                    paths.add(p);
                }
            }
        }
        Boolean dontWriteBytecode = MainInterpreter.markUsed();
        return Session.open(new Session.Settings(kind, mode, paths, loader, config.classEnquirer,
                config.classLoader != null ? null : caller, config.redirectStdout, config.redirectStderr, dontWriteBytecode));
    }

    /** The first class on the stack outside Jep's API and pyhost-jep: the code making the interpreter. */
    private static Class<?> callerClass() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .map(StackWalker.StackFrame::getDeclaringClass)
                .filter(c -> !c.getPackageName().equals("jep") && !c.getPackageName().startsWith("io.pyhost.jep"))
                .findFirst().orElse(null));
    }

    /** Jep's hook for subclasses; pyhost-jep configures the interpreter itself: does nothing. */
    protected void configureInterpreter(JepConfig config) throws JepException {
    }

    /** Jep's hook for subclasses; the Java import hook is always installed: does nothing. */
    protected void setupJavaImportHook(ClassEnquirer enquirer) throws JepException {
    }

    /** In Jep, throws unless called on the creating thread. In pyhost-jep every thread is valid: only a closed interpreter throws. */
    public void isValidThread() throws JepException {
        if (session.isClosed()) {
            throw new JepException(Session.CLOSED);
        }
    }

    @Override
    public void runScript(String script) throws JepException {
        session.runScript(script);
    }

    @Override
    public Object invoke(String name, Object... args) throws JepException {
        return session.invoke(name, args, null);
    }

    @Override
    public Object invoke(String name, Map<String, Object> kwargs) throws JepException {
        return session.invoke(name, null, kwargs);
    }

    @Override
    public Object invoke(String name, Object[] args, Map<String, Object> kwargs) throws JepException {
        return session.invoke(name, args, kwargs);
    }

    @Override
    public boolean eval(String str) throws JepException {
        return session.eval(str);
    }

    @Override
    public void exec(String str) throws JepException {
        session.exec(str);
    }

    @Override
    public Object getValue(String str) throws JepException {
        return session.getValue(str);
    }

    @Override
    public <T> T getValue(String str, Class<T> clazz) throws JepException {
        return session.getValue(str, clazz);
    }

    @Override
    public void set(String name, Object v) throws JepException {
        session.set(name, v);
    }

    /** Refused: pyhost-jep has no thread state to give (any thread may call). */
    protected long getThreadState() {
        throw new UnsupportedOperationException("pyhost-jep has no per-thread CPython thread state: any thread may call");
    }

    /** The class loader Java imports use. */
    protected ClassLoader getClassLoader() {
        return session.classLoader();
    }

    @Override
    public synchronized void close() throws JepException {
        session.close();
    }

    @Override
    public String toString() {
        return session.toString();
    }
}
