package jep;

import java.util.Map;

/**
 * A Python interpreter Java code runs Python in: Jep 4.2.2's interface, served by pyhost.
 *
 * <p><b>Threads.</b> Unlike Jep, an interpreter is not welded to the thread that made it: any
 * thread may call it, virtual threads included, and calls on one interpreter are serialized.
 *
 * <p><b>Values.</b> Java to Python: {@code null}, booleans, numbers, {@code String} and
 * {@code Character} become Python values; {@link NDArray} a numpy array (worker contexts, with
 * the numpy bundle); a {@link jep.python.PyObject} its own Python object; any other Java object
 * (lists, maps and arrays included) a Java object in Python, whose public methods and fields are
 * used by name. Python to Java: None, bool, int ({@code Long}), float ({@code Double}), str,
 * list/tuple ({@code List}; a tuple's is unmodifiable), dict ({@code Map}), a Java object (itself),
 * a callable ({@link jep.python.PyCallable}), a numpy array ({@link NDArray}); anything else its
 * {@code str()}. {@link #getValue(String, Class)} converts to the class asked for.
 *
 * <p><b>Errors.</b> Python exceptions arrive as {@link JepException} whose message is Jep's
 * {@code "<class 'ValueError'>: message"} (message: {@code str(args[0])}; for a Java exception its
 * message). A closed interpreter throws {@code "Jep instance has been closed."}.
 */
public interface Interpreter extends AutoCloseable {

    /** Calls the Python callable {@code name} (a global, a builtin, or dotted: {@code obj.method}) with {@code args}. */
    Object invoke(String name, Object... args) throws JepException;

    /** Calls {@code name} with keyword arguments. */
    Object invoke(String name, Map<String, Object> kwargs) throws JepException;

    /** Calls {@code name} with positional and keyword arguments. */
    Object invoke(String name, Object[] args, Map<String, Object> kwargs) throws JepException;

    /**
     * Runs one Python statement (or one compound statement) as Python's interactive prompt would;
     * an expression statement's value is printed. Returns {@code true} when the code ran,
     * {@code false} for nothing to run ({@code null} or blank), as Jep does.
     */
    boolean eval(String str) throws JepException;

    /** Runs any number of Python statements in the interpreter's globals. */
    void exec(String str) throws JepException;

    /** Runs the Python file at {@code script} in the interpreter's globals. */
    void runScript(String script) throws JepException;

    /** Evaluates the expression {@code str} and converts its value (see the class comment). */
    Object getValue(String str) throws JepException;

    /** Evaluates the expression {@code str} and converts its value to {@code clazz}. */
    <T> T getValue(String str, Class<T> clazz) throws JepException;

    /** Binds {@code v} to the global {@code name}. */
    void set(String name, Object v) throws JepException;

    /**
     * Ends the interpreter. Bounded: a call running on another thread is interrupted
     * ({@code KeyboardInterrupt}) and the interpreter ends within pyhost's close timeout. Idempotent.
     * As in Jep, with no call running a {@link SubInterpreter} whose Python threads still run
     * refuses: {@code JepException("All threads must be stopped before closing Jep.")}, and stays usable.
     */
    @Override
    void close() throws JepException;
}
