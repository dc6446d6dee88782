package io.pyhost.core.bridge;

import static io.pyhost.core.bridge.CApi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pyhost.spi.Interpreter;

/**
 * An interpreter pyhost runs code in, with what belongs to it alone: its compiled-code cache
 * and its helper functions. Subclasses decide on which thread the code runs.
 *
 * <p>Everything here but {@link #call}, {@link #interrupt} and {@link #close} must run inside a
 * {@link GilTask} of this interpreter: the objects it holds are this interpreter's and must never
 * be touched from another one.
 */
public abstract sealed class PythonInterpreter implements Interpreter permits MainInterpreter, SubInterpreter {
    private static final int CODE_CACHE_SIZE = Integer.getInteger("pyhost.codeCache.size", 512);

    private final Map<CodeKey, MemorySegment> codeCache = new LinkedHashMap<>(64, 0.75f, true);
    private MemorySegment helpers; // dict of pyhost's helper functions; owned reference
    private final Map<String, PyRef> attachments = new java.util.HashMap<>(); // held for the interpreter, GIL held
    private volatile InflightCall running;
    private final Interrupter interrupter = new Interrupter(this, "pyhost-interrupter-" + INTERRUPTERS.incrementAndGet());
    private static final java.util.concurrent.atomic.AtomicInteger INTERRUPTERS = new java.util.concurrent.atomic.AtomicInteger();

    private record CodeKey(String source, int kind) {
    }

    /**
     * Runs {@code task} with this interpreter's thread state attached.
     *
     * @param call    registers the call so {@link #interrupt} can reach it; null for internal work
     * @param timeout bound of the call; null for none. On expiry the call is interrupted and
     *                {@link CallTimeoutException} thrown; the interpreter finishes the call on its own.
     */
    public abstract <T> T call(InflightCall call, Duration timeout, GilTask<T> task);

    /** {@code call(null, null, task)}. */
    public final <T> T call(GilTask<T> task) {
        return call(null, null, task);
    }

    /**
     * Asks for {@code KeyboardInterrupt} in {@code call}, raised as soon as the interpreter's GIL
     * can be had and again until the call ends (see {@link Interrupter}). Returns at once, without
     * waiting for the GIL; returns whether the call had not ended yet. Any thread may call this.
     */
    public final boolean interrupt(InflightCall call) {
        call.markInterruptRequested();
        return interrupter.request(call, PyExc_KeyboardInterrupt, null, true);
    }

    /** Raises {@code type} once in {@code call}, without waiting; {@code because} is the message Java reports. */
    final boolean raiseOnce(InflightCall call, MemorySegment type, String because) {
        return interrupter.request(call, type, because, false);
    }

    /**
     * Runs {@code action} on the calling thread with this interpreter's GIL held, waiting for the
     * GIL as long as it takes; returns false (without running it) when the interpreter is gone.
     * For {@link Interrupter}'s own thread only.
     */
    abstract boolean withGil(Runnable action);

    /** The interrupter's thread is about to end: what it holds of this interpreter is released. */
    abstract void interrupterExits();

    /**
     * Waits for a handed-off call; at its timeout, asks for the call to be interrupted, waits a
     * short grace for it to stop, and throws {@link CallTimeoutException}. The caller never waits
     * for the interpreter's GIL: a call stuck in C code keeps running after the caller has its
     * answer (the context reports it as busy until it returns).
     */
    final <T> T awaitOrInterrupt(Handoff<T> handoff, InflightCall call, Duration timeout) {
        try {
            return handoff.await(timeout);
        } catch (java.util.concurrent.TimeoutException e) {
            if (call != null) {
                call.markTimedOut();
                if (interrupter.request(call, PyExc_KeyboardInterrupt, null, true)) {
                    awaitQuietly(handoff, TIMEOUT_GRACE); // so that the next call finds the context free
                }
            }
            throw new CallTimeoutException(timeout);
        }
    }

    /**
     * How long a timed-out caller waits for the interrupted call to end before it returns: Python
     * code in the eval loop stops within milliseconds of the interrupt; code blocked in C does not,
     * and keeps the context busy after the caller has its TimeoutError.
     */
    public static final Duration TIMEOUT_GRACE = Duration.ofMillis(Long.getLong("pyhost.timeout.graceMillis", 200));

    private static void awaitQuietly(Handoff<?> handoff, Duration grace) {
        try {
            handoff.await(grace);
        } catch (java.util.concurrent.TimeoutException | RuntimeException ended) {
            // the call's own outcome (the interrupt, most likely) is not the caller's answer: the timeout is
        }
    }

    /** Runs a task on the current thread, already attached, registered as {@code call}. */
    protected final <T> T runAttached(long threadIdent, InflightCall call, GilTask<T> task) {
        if (call == null) {
            return task.run(this);
        }
        if (!call.start(threadIdent)) {
            throw new IllegalStateException("call abandoned at its timeout before it started");
        }
        InflightCall outer = running; // not null when a call re-enters from Java (see outsidePython)
        running = call;
        InflightCall outerOnThread = CALL_ON_THREAD.get();
        CALL_ON_THREAD.set(call);
        try {
            return task.run(this);
        } finally {
            CALL_ON_THREAD.set(outerOnThread);
            running = outer;
            call.finish();
        }
    }

    /** The registered call the current thread runs (innermost), for Java code an upcall runs. */
    private static final ThreadLocal<InflightCall> CALL_ON_THREAD = new ThreadLocal<>();

    /** The registered call the current thread runs (innermost), or null: what a raised exception is classified for. */
    static InflightCall currentCall() {
        return CALL_ON_THREAD.get();
    }

    // ---- which interpreter a thread is in ----

    /** Interpreters by the address of their {@code PyInterpreterState}, while they live. */
    private static final Map<Long, PythonInterpreter> BY_STATE = new java.util.concurrent.ConcurrentHashMap<>();

    /** The {@code PyInterpreterState*} of this interpreter, or null before it exists and after it ended. */
    abstract MemorySegment state();

    /** Makes this interpreter findable by {@link #attached} (its state exists now). */
    final void registerState(MemorySegment state) {
        BY_STATE.put(state.address(), this);
    }

    /** This interpreter ended: no longer findable. */
    final void unregisterState(MemorySegment state) {
        BY_STATE.remove(state.address(), this);
    }

    /**
     * The interpreter whose thread state the current thread has attached (whose GIL it holds), if
     * pyhost made it; else null. GIL held (of any interpreter): one downcall and a map lookup.
     */
    public static PythonInterpreter attached() {
        return BY_STATE.get(PyInterpreterState_Get().address());
    }

    /** Whether the current thread holds this interpreter's GIL (has one of its thread states attached). Any thread. */
    public final boolean gilHeldHere() {
        MemorySegment tstate = PyThreadState_GetUnchecked();
        MemorySegment own = state();
        return tstate.address() != 0 && own != null && PyThreadState_GetInterpreter(tstate).address() == own.address();
    }

    /** The native identifier of the current thread ({@code threading.get_ident()}). Any thread. */
    public static long currentThreadIdent() {
        return PyThread_get_thread_ident();
    }

    /**
     * Whether the call the current thread runs was asked to stop (its timeout passed, it was
     * interrupted, or its context is closing): Java code that waits inside an upcall (a service
     * lookup with a timeout) gives up then instead of holding the call past its deadline.
     */
    public static boolean callOnThisThreadStopping() {
        InflightCall call = CALL_ON_THREAD.get();
        return call != null && (call.timedOut() || call.interruptRequested() || call.raisedBecause() != null);
    }

    // ---- Java called from Python (upcalls) ----

    /** Thread states this interpreter's upcalls released on the current thread, innermost first. */
    private final ThreadLocal<java.util.ArrayDeque<MemorySegment>> releasedForJava = ThreadLocal.withInitial(java.util.ArrayDeque::new);

    /**
     * From an upcall, this interpreter's GIL held: runs Java {@code work} with the GIL released,
     * so other threads and (worker mode) other contexts go on; takes the GIL back after. A call
     * into this interpreter that {@code work} makes on the same thread runs inline
     * ({@link #reentered}), with the same thread state.
     */
    public final <T> T outsidePython(java.util.function.Supplier<T> work) {
        java.util.ArrayDeque<MemorySegment> released = releasedForJava.get();
        released.push(PyEval_SaveThread());
        try {
            return work.get();
        } finally {
            PyEval_RestoreThread(released.pop());
        }
    }

    /** Whether the current thread is inside an upcall of this interpreter, its GIL released. */
    protected final boolean reentered() {
        return !releasedForJava.get().isEmpty();
    }

    /** Runs {@code task} inline on a thread that is inside an upcall of this interpreter ({@link #reentered}). */
    protected final <T> T callInline(InflightCall call, GilTask<T> task) {
        MemorySegment tstate = releasedForJava.get().peek();
        PyEval_RestoreThread(tstate);
        try {
            return runAttached(PyThread_get_thread_ident(), call, task);
        } finally {
            PyEval_SaveThread();
        }
    }

    /** Set on threads that hold another interpreter's thread state for their life (sub-interpreter threads). */
    static final ThreadLocal<Boolean> OWNS_AN_INTERPRETER = ThreadLocal.withInitial(() -> false);

    /** The registered call running now (for a sub-interpreter: the only one), or null. */
    protected InflightCall running() {
        return running;
    }

    /** Whether this interpreter has its own obmalloc, so its small-object heap can be counted. */
    public abstract boolean ownAllocator();

    /**
     * Ends this interpreter (nothing for the shared main one), waiting at most {@code bound};
     * returns whether it ended. One that did not is ended later, as soon as it can be.
     */
    public abstract boolean close(Duration bound);

    /** Completes when this interpreter has ended (never, for the main interpreter). */
    public abstract java.util.concurrent.CompletableFuture<Void> ended();

    // ---- per-interpreter state, GIL held ----

    /**
     * Compiled code for {@code source} as a new reference; cached per interpreter (LRU,
     * {@code pyhost.codeCache.size} entries), so a repeated source skips the ~10 µs compile.
     *
     * @param kind {@link CApi#EVAL_INPUT} or {@link CApi#FILE_INPUT}
     */
    final MemorySegment compile(String source, int kind) {
        CodeKey key = new CodeKey(source, kind);
        MemorySegment code = codeCache.get(key);
        if (code == null) {
            try (Arena arena = Arena.ofConfined()) {
                code = Py_CompileString(arena.allocateFrom(source), arena.allocateFrom("<string>"), kind);
            }
            if (code.address() == 0) {
                throw PyErrors.fetch(this, null);
            }
            MemorySegment replaced = codeCache.put(key, code);
            MemorySegment evicted = null;
            if (codeCache.size() > CODE_CACHE_SIZE) {
                var eldest = codeCache.entrySet().iterator();
                evicted = eldest.next().getValue();
                eldest.remove();
            }
            // Released only once the map is consistent: freeing a code object can run Python (a
            // weakref callback) that drops the GIL, and another thread may then use this cache.
            if (replaced != null) {
                Py_DecRef(replaced); // compiled meanwhile by another thread (compiling can run an audit hook)
            }
            if (evicted != null) {
                Py_DecRef(evicted);
            }
        }
        Py_IncRef(code);
        return code;
    }

    /** One of pyhost's helper functions (helpers.py), borrowed. */
    final MemorySegment helper(String name) {
        if (helpers == null) {
            helpers = loadHelpers();
        }
        MemorySegment fn;
        try (Arena arena = Arena.ofConfined()) {
            fn = PyDict_GetItemString(helpers, arena.allocateFrom(name));
        }
        if (fn.address() == 0) {
            throw new IllegalStateException("pyhost helper " + name + " missing");
        }
        return fn;
    }

    private MemorySegment loadHelpers() {
        String source;
        try (var in = PythonInterpreter.class.getResourceAsStream("helpers.py")) {
            source = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("pyhost's helpers.py is missing from core", e);
        }
        MemorySegment namespace = PyDict_New();
        MemorySegment builtins;
        try (Arena arena = Arena.ofConfined()) {
            builtins = PyImport_ImportModule(arena.allocateFrom("builtins"));
            PyDict_SetItemString(namespace, arena.allocateFrom("__builtins__"), builtins);
            Py_DecRef(builtins);
            MemorySegment code = Py_CompileString(arena.allocateFrom(source), arena.allocateFrom("<pyhost helpers>"), FILE_INPUT);
            if (code.address() == 0) {
                Py_DecRef(namespace);
                throw PyErrors.fetchWithoutHelpers();
            }
            MemorySegment result = PyEval_EvalCode(code, namespace, namespace);
            Py_DecRef(code);
            if (result.address() == 0) {
                Py_DecRef(namespace);
                throw PyErrors.fetchWithoutHelpers();
            }
            Py_DecRef(result);
        }
        return namespace;
    }

    /**
     * The object kept under {@code key} ({@link #attach}), or null: lent for the current call,
     * never closed by the caller. GIL held.
     */
    public final PyRef attachment(String key) {
        return attachments.get(key);
    }

    /**
     * {@code helper(*args)} with the Python values of {@code args} (a {@link PyRef} among them is
     * the object itself): a new reference; a Python exception is thrown as
     * {@link io.pyhost.api.PyException}. GIL held.
     */
    public final PyRef callHelper(String helper, List<?> args) {
        return PyRef.take(this, PyRef.invoke(this, helper(helper), args, null));
    }

    /**
     * Keeps {@code ref} under {@code key} until the interpreter releases its objects: the
     * interpreter owns it from now on (closing it elsewhere is refused). GIL held.
     */
    public final void attach(String key, PyRef ref) {
        ref.holdForInterpreter();
        PyRef old = attachments.put(key, ref);
        if (old != null) {
            old.releaseHeld();
        }
    }

    /** Releases this interpreter's cached objects. GIL held. */
    protected final void releaseObjects() {
        java.util.List<PyRef> attached = new java.util.ArrayList<>(attachments.values());
        attachments.clear(); // first, as for the code cache below
        attached.forEach(PyRef::releaseHeld);
        java.util.List<MemorySegment> codes = new java.util.ArrayList<>(codeCache.values());
        codeCache.clear(); // first: releasing can run Python that drops the GIL
        MemorySegment helpersHeld = helpers;
        helpers = null;
        codes.forEach(CApi::Py_DecRef);
        if (helpersHeld != null) {
            Py_DecRef(helpersHeld);
        }
    }

    /** Thrown by {@link #call} when the call ran past its timeout. */
    public static final class CallTimeoutException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CallTimeoutException(Duration timeout) {
            super("call exceeded its timeout of " + timeout.toMillis() + " ms", null, false, false);
        }
    }
}
