package io.pyhost.api;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An isolated Python namespace with its own globals, created by {@link ContextFactory}.
 *
 * <p><b>Threads.</b> Any Java thread may call a context, virtual threads included; calls on one
 * context are serialized in arrival order. Nothing is bound to the thread that created it.
 *
 * <p><b>Values.</b> Python to Java: None&rarr;null, bool&rarr;Boolean, int&rarr;Long (BigInteger
 * beyond 64 bits), float&rarr;Double, str&rarr;String, bytes&rarr;byte[], list/tuple&rarr;List,
 * dict&rarr;Map (insertion order), set/frozenset&rarr;Set, anything else&rarr;its {@code str()}.
 * Java to Python: the reverse, plus Integer/Short/Byte&rarr;int, Float&rarr;float and arrays&rarr;list;
 * a {@link PyObject} of this context is its Python object; any other Java object reaches Python
 * as a {@code pyhost.JavaObject} (its public methods callable by name; back in Java it is the same
 * object), except objects Python must never hold (reflection, class loaders, threads, the OSGi
 * framework's own objects, ...), which are refused with {@link IllegalArgumentException}.
 *
 * <p><b>Errors.</b> Python exceptions arrive as {@link PyException}; bad arguments (null, NUL
 * characters, values that cannot be converted) as {@link IllegalArgumentException}; calls on a
 * closed context as {@link IllegalStateException} saying why it was closed.
 *
 * <p><b>Lifecycle.</b> {@link #close()} ends the context (and its sub-interpreter, if it has one);
 * it is idempotent. A context is also closed when its strategy bundle leaves.
 */
@ProviderType
public interface PyContext extends AutoCloseable {

    /** A number unique in this JVM. */
    long id();

    /** The mode that made this context. */
    String mode();

    /** Evaluates an expression in the context's globals ({@code py:eval}). */
    Object eval(String expression);

    /**
     * Evaluates an expression with extra local variables; the locals are visible only to this
     * evaluation. {@code null} locals means none.
     */
    Object eval(String expression, Map<String, ?> locals);

    /**
     * Evaluates an expression and keeps its value as a Python object ({@link PyObject}) instead of
     * converting it: a generator, a class instance, a function to call many times.
     */
    PyObject evalObject(String expression);

    /** {@link #evalObject(String)} with extra local variables (see {@link #eval(String, Map)}). */
    PyObject evalObject(String expression, Map<String, ?> locals);

    /**
     * Evaluates an expression without blocking the caller. When the value is awaitable (a
     * coroutine, an asyncio future) it is awaited as a task of the context's own asyncio event
     * loop, and the future completes with the awaited result; tasks of one context run
     * concurrently with each other and interleave with the context's other calls. Cancelling the
     * future cancels the task (or interrupts the evaluation while it still runs). Errors complete
     * the future exceptionally ({@link PyException}, {@link IllegalStateException} when the context
     * closes first).
     */
    java.util.concurrent.CompletableFuture<Object> evalAsync(String expression);

    /** {@link #call(String, String, List, Map)} without blocking the caller, awaited as {@link #evalAsync} is. */
    java.util.concurrent.CompletableFuture<Object> callAsync(String module, String function, List<?> args, Map<String, ?> kwargs);

    /** Runs statements in the context's globals ({@code py:exec}). */
    void exec(String code);

    /**
     * Calls {@code module.function(*args, **kwargs)} and returns its result. With a {@code null}
     * or empty module, the function is looked up in the context's own globals; otherwise the
     * module is imported. {@code null} args or kwargs mean none.
     */
    Object call(String module, String function, List<?> args, Map<String, ?> kwargs);

    /**
     * {@link #eval(String, Map)} bounded by {@code timeout} instead of the context's call timeout
     * ({@code null}: no bound). On expiry the Python code is interrupted and a {@link PyException}
     * of type {@code TimeoutError} thrown; the context serves the next call once Python returns.
     */
    Object eval(String expression, Map<String, ?> locals, java.time.Duration timeout);

    /** {@link #exec(String)} bounded by {@code timeout} (see {@link #eval(String, Map, java.time.Duration)}). */
    void exec(String code, java.time.Duration timeout);

    /** {@link #call(String, String, List, Map)} bounded by {@code timeout} (see {@link #eval(String, Map, java.time.Duration)}). */
    Object call(String module, String function, List<?> args, Map<String, ?> kwargs, java.time.Duration timeout);

    /**
     * Interrupts the call running in this context, from any thread: the call ends with a
     * {@link PyException} of type {@code KeyboardInterrupt} (which {@code except Exception:} does
     * not catch) as soon as Python next checks, usually within milliseconds; code blocked in C
     * (a socket read, say) notices when it returns.
     *
     * @return {@code true} if a call was running and was interrupted; {@code false} on an idle or
     *         closed context, where nothing happens
     */
    boolean interrupt();

    /** Whether {@link #close()} was called or the context was closed for another reason. */
    boolean isClosed();

    /** Ends the context; idempotent; waits for a call in progress to end. */
    @Override
    void close();
}
