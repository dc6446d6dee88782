package io.pyhost.core;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.pyhost.api.ContextBusyException;
import io.pyhost.api.ContextInfo;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyException;
import io.pyhost.core.bridge.GilTask;
import io.pyhost.core.bridge.InflightCall;
import io.pyhost.core.bridge.Namespace;
import io.pyhost.core.bridge.PyErrors;
import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.PythonInterpreter.CallTimeoutException;
import io.pyhost.core.bridge.Values;

/**
 * A context: a globals dict in one interpreter. Calls are serialized by a fair permit, taken by
 * the caller and given back by whichever thread finishes the Python work, so a call that timed
 * out keeps the context busy until Python has really returned.
 *
 * <p>The busy rule: a call never waits for the permit longer than its own timeout. While the
 * call holding the permit is <em>overdue</em> (past its timeout, interrupted, still running:
 * blocked in C), a call without a timeout, which would otherwise queue behind it for as long as
 * the C code runs, fails with {@link ContextBusyException} once that call is a second past its
 * timeout; a call with a timeout waits
 * for it within that timeout and then fails with {@code TimeoutError} naming when the context
 * became busy.
 */
final class PythonContext implements PyContext, io.pyhost.core.interop.PythonHost {
    private static final System.Logger LOG = System.getLogger(PythonContext.class.getName());
    private static final AtomicLong IDS = new AtomicLong();
    /** How often a caller waiting for the permit looks whether the running call became overdue. */
    private static final long BUSY_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /**
     * How long an interrupted call may go on past its timeout before a caller without a timeout
     * stops waiting for it: enough for an interrupt to land on a busy machine (it needs the GIL).
     */
    private static final long OVERDUE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final long id = IDS.incrementAndGet();
    private final String mode;
    private final PythonInterpreter interpreter;
    private final PyRef globals; // owned; lives in `interpreter`
    private final Duration callTimeout;
    private final Object owner;          // the strategy that opened the interpreter
    private final Instant created = Instant.now();
    private final Semaphore permit = new Semaphore(1, true);
    private final AtomicLong calls = new AtomicLong();
    private final java.util.function.Consumer<PythonContext> onClose;
    /** Worker mode, sandboxed: the main interpreter's set of sandboxed threads (the sandbox's, never closed here); else null. */
    private final PyRef sandboxThreads;
    private final Duration closeTimeout;
    private final java.util.concurrent.atomic.AtomicBoolean globalsReleased = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.CompletableFuture<Void> released = new java.util.concurrent.CompletableFuture<>();
    private volatile InflightCall current;
    private volatile Thread permitHolder; // the thread running this context's call (for re-entry), or null
    private volatile String closedBecause;

    PythonContext(String mode, PythonInterpreter interpreter, PyRef globals, Duration callTimeout, Object owner,
            PyRef sandboxThreads, Duration closeTimeout, java.util.function.Consumer<PythonContext> onClose,
            java.util.function.Consumer<String> output, java.util.function.Consumer<String> errorOutput) {
        this.output = output;
        this.errorOutput = errorOutput != null ? errorOutput : output;
        this.closeTimeout = closeTimeout;
        this.sandboxThreads = sandboxThreads;
        this.mode = mode;
        this.interpreter = interpreter;
        this.globals = globals;
        this.callTimeout = callTimeout;
        this.owner = owner;
        this.onClose = onClose;
    }

    /** An id from the sequence every context shares, for contexts that strategies make ({@link ProvidedContexts}). */
    static long newId() {
        return IDS.incrementAndGet();
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String mode() {
        return mode;
    }

    Object owner() {
        return owner;
    }


    long calls() {
        return calls.get();
    }

    /** How many Java objects the Python of this context's interpreter holds now. */
    int lentObjects() {
        return io.pyhost.core.interop.JavaObjects.lentCount(interpreter);
    }

    io.pyhost.api.ContextInfo info(String strategy) {
        InflightCall running = current;
        boolean busy = running != null && running.state() != InflightCall.State.ENDED;
        ContextInfo.State state = closedBecause != null ? ContextInfo.State.ABANDONED // listed after close only until released
                : !busy ? ContextInfo.State.IDLE
                : running.timedOut() ? ContextInfo.State.OVERDUE : ContextInfo.State.BUSY;
        return new ContextInfo(id, mode, strategy, created, calls.get(), busy, state, busy ? running.startedAt() : null);
    }

    /** Completes when the globals are released and the interpreter ended (at once for a clean close). */
    java.util.concurrent.CompletableFuture<Void> released() {
        return released;
    }

    @Override
    public Object eval(String expression) {
        return eval(expression, null);
    }

    @Override
    public Object eval(String expression, Map<String, ?> locals) {
        return eval(expression, locals, callTimeout);
    }

    @Override
    public Object eval(String expression, Map<String, ?> locals, Duration timeout) {
        checkEval(expression, locals);
        return invoke(timeout, (in, call) -> Namespace.eval(globals, expression, locals));
    }

    // ---- asynchronous calls ----

    private final AsyncCalls async = new AsyncCalls(this);

    @Override
    public java.util.concurrent.CompletableFuture<Object> evalAsync(String expression) {
        checkCode(expression, "expression");
        checkOpen();
        return async.submit((in, call) -> Namespace.evalObject(globals, expression, null));
    }

    @Override
    public java.util.concurrent.CompletableFuture<Object> callAsync(String module, String function, List<?> args, Map<String, ?> kwargs) {
        checkName(function, "function");
        if (module != null && !module.isEmpty()) {
            checkName(module, "module");
        }
        if (kwargs != null) {
            kwargs.keySet().forEach(k -> checkName(k, "kwargs key"));
        }
        checkOpen();
        return async.submit((in, call) -> Namespace.callObject(globals, module, function, args, kwargs));
    }

    /** Interrupts {@code call} if it is this context's running call (a cancelled asynchronous call). */
    void interruptCall(InflightCall call) {
        if (current == call && closedBecause == null) {
            interpreter.interrupt(call);
        }
    }

    @Override
    public io.pyhost.api.PyObject evalObject(String expression) {
        return evalObject(expression, null);
    }

    @Override
    public io.pyhost.api.PyObject evalObject(String expression, Map<String, ?> locals) {
        checkEval(expression, locals);
        return invoke(callTimeout, (in, call) -> keep(Namespace.evalObject(globals, expression, locals)));
    }

    private static void checkEval(String expression, Map<String, ?> locals) {
        checkCode(expression, "expression");
        if (locals != null) {
            locals.keySet().forEach(k -> checkName(k, "locals key"));
        }
    }

    @Override
    public void exec(String source) {
        exec(source, callTimeout);
    }

    @Override
    public void exec(String source, Duration timeout) {
        checkCode(source, "code");
        invoke(timeout, (in, call) -> {
            Namespace.exec(globals, source);
            return null;
        });
    }

    @Override
    public Object call(String module, String function, List<?> args, Map<String, ?> kwargs) {
        return call(module, function, args, kwargs, callTimeout);
    }

    @Override
    public Object call(String module, String function, List<?> args, Map<String, ?> kwargs, Duration timeout) {
        checkName(function, "function");
        if (module != null && !module.isEmpty()) {
            checkName(module, "module");
        }
        if (kwargs != null) {
            kwargs.keySet().forEach(k -> checkName(k, "kwargs key"));
        }
        return invoke(timeout, (in, call) -> Namespace.call(globals, module, function, args, kwargs));
    }

    // ---- handles (PyObject) ----

    private static final java.lang.ref.Cleaner HANDLE_CLEANER = java.lang.ref.Cleaner.create(
            Thread.ofPlatform().daemon().name("pyhost-handle-cleaner").factory());
    private static final AtomicLong HANDLE_IDS = new AtomicLong();
    /** The references of this context's live handles, by handle id (owned; released with the GIL held). */
    private final Map<Long, PyRef> handles = new java.util.concurrent.ConcurrentHashMap<>();
    /** Handles closed (or collected unclosed) since the last call: released at the start of the next. */
    private final java.util.Queue<Long> handlesToRelease = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Makes a handle of a new reference, which it takes over. GIL held. */
    PythonObject keep(PyRef result) {
        long handleId = HANDLE_IDS.incrementAndGet();
        handles.put(handleId, result);
        PythonObject handle = new PythonObject(this, handleId);
        // an unclosed handle that Java drops is only queued: its reference is released by a call, with the GIL
        HANDLE_CLEANER.register(handle, () -> handlesToRelease.add(handleId));
        return handle;
    }

    /** The reference behind a live handle, or throws IllegalStateException. GIL held, inside a call of this context. */
    PyRef reference(long handleId) {
        PyRef ref = handles.get(handleId);
        if (ref == null) {
            throw new IllegalStateException("this PyObject of " + describe() + " was closed");
        }
        return ref;
    }

    boolean isLive(long handleId) {
        return handles.containsKey(handleId);
    }

    /** Queues the release of a handle's reference (done at the start of the next call, or at close). */
    void release(long handleId) {
        handlesToRelease.add(handleId);
    }

    /** Runs {@code task} as a call of this context, under its call timeout (a handle's operation). */
    <T> T handleCall(ContextTask<T> task) {
        return invoke(callTimeout, task);
    }

    /** GIL held: releases the references of handles closed or dropped since the last call. */
    private void releaseQueuedHandles() {
        for (Long handleId; (handleId = handlesToRelease.poll()) != null; ) {
            PyRef ref = handles.remove(handleId);
            if (ref != null) {
                ref.close(); // may run __del__: Python code, on this context's call
            }
        }
    }

    /** GIL held, at close: every handle's reference goes. */
    private void releaseAllHandles() {
        handlesToRelease.clear();
        for (Long handleId : List.copyOf(handles.keySet())) {
            PyRef ref = handles.remove(handleId);
            if (ref != null) {
                ref.close();
            }
        }
    }

    // ---- memory shared without a copy (issue 14) ----

    /** A memoryview over Java memory, lent to a call; {@code segment} keeps that memory reachable. */
    private record SharedView(PyRef view, MemorySegment segment) { // view: pyhost's own reference
    }

    /** Views lent to the running call and the calls it re-entered; only the permit holder, GIL held. */
    private final List<SharedView> sharedViews = new java.util.ArrayList<>();
    /** Views Python still exported when their call ended (an array made from one was kept): retried at each call. */
    private final List<SharedView> stillExported = new java.util.ArrayList<>();
    /** Python buffers Java holds ({@link #exportBuffer}); released when closed, or at context close. */
    private final Map<Long, PythonBuffer> buffers = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Queue<PythonBuffer> buffersToRelease = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Override
    public PyRef shareMemory(MemorySegment segment) {
        if (permitHolder != Thread.currentThread()) {
            throw new IllegalArgumentException("a MemorySegment reaches Python only as an argument or local of a call of "
                    + describe() + ", not on a thread Python started");
        }
        PyRef view = io.pyhost.core.bridge.SharedMemory.view(interpreter, segment); // pyhost's own: released when the call ends
        sharedViews.add(new SharedView(view, segment));
        return view.newReference(); // the converter's, whoever else will hold it
    }

    /** GIL held: releases the views lent since {@code mark}; false when Python still exports one of them. */
    private boolean releaseSharedViews(int mark) {
        boolean all = true;
        for (int i = sharedViews.size() - 1; i >= mark; i--) {
            SharedView shared = sharedViews.remove(i);
            if (!released(shared)) {
                stillExported.add(shared);
                all = false;
            }
        }
        return all;
    }

    /** GIL held: releases the views whose exports have ended since. */
    private void retryStillExported() {
        stillExported.removeIf(PythonContext::released);
    }

    /** GIL held: whether Python let go of {@code shared}'s memory (then pyhost's reference to the view is gone too). */
    private static boolean released(SharedView shared) {
        if (!io.pyhost.core.bridge.SharedMemory.release(shared.view())) {
            return false;
        }
        shared.view().close();
        return true;
    }

    private IllegalStateException memoryKept() {
        return new IllegalStateException("Python kept a buffer over the memory of a MemorySegment given to " + describe()
                + " after the call ended (e.g. a numpy.frombuffer array stored): that memory is still in use by Python, so "
                + "it must stay allocated until the object is gone; copy what Python keeps (bytes(view), numpy.array(view))");
    }

    /** {@link PythonObject#buffer()}: takes {@code self}'s buffer. GIL held, in a call of this context. */
    PythonBuffer exportBuffer(PyRef self) {
        io.pyhost.core.bridge.SharedMemory.Exported exported = io.pyhost.core.bridge.SharedMemory.acquire(self);
        PythonBuffer buffer = new PythonBuffer(this, HANDLE_IDS.incrementAndGet(), exported);
        buffers.put(buffer.id(), buffer);
        return buffer;
    }

    /** A buffer closed by Java: its Python buffer is released at the start of the next call, or at close. */
    void release(PythonBuffer buffer) {
        if (buffers.remove(buffer.id()) != null) {
            buffersToRelease.add(buffer);
        }
    }

    /** GIL held: gives back the Python buffers Java closed. */
    private void releaseClosedBuffers() {
        for (PythonBuffer buffer; (buffer = buffersToRelease.poll()) != null; ) {
            buffer.exported().release();
        }
    }

    /** GIL held, at close: every buffer's segment is closed first, then its Python buffer released. */
    private void releaseAllBuffers() {
        for (PythonBuffer buffer : List.copyOf(buffers.values())) {
            if (buffer.invalidate() && buffers.remove(buffer.id()) != null) { // else Java's close queued it: released below
                buffer.exported().release();
            } // else a native call uses the segment right now: the Python buffer stays held (never freed under it)
        }
        releaseClosedBuffers();
        retryStillExported();
        if (!stillExported.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "pyhost: " + describe() + " closed while Python still used the memory of "
                    + stillExported.size() + " MemorySegment(s) given to it; that memory must stay allocated");
        }
    }

    /** A call's work, with the call it is registered as. */
    interface ContextTask<T> {
        T run(PythonInterpreter in, InflightCall call);
    }

    /**
     * Contexts whose calls wait, on this thread or on the threads that handed work to it, for
     * what this thread does now: Python of context A calls Java, which calls context B (another
     * thread serves it), whose Python calls Java, which calls A again. A is in the set there, its
     * permit is held by the waiting call: a deadlock, refused at once.
     */
    private static final ThreadLocal<Set<PythonContext>> WAITING_ON_THIS_THREAD = ThreadLocal.withInitial(Set::of);

    private <T> T invoke(Duration timeout, ContextTask<T> task) {
        checkOpen();
        if (permitHolder == Thread.currentThread()) {
            return reenter(task); // Python of this context -> Java -> this context, on one thread
        }
        Set<PythonContext> waiting = WAITING_ON_THIS_THREAD.get();
        if (waiting.contains(this)) {
            throw new IllegalStateException("context " + id + " (" + mode + ") is waiting for this very call (Python -> Java -> "
                    + "another context -> Java -> back): calling it here would deadlock");
        }
        Set<PythonContext> enclosing = waiting.isEmpty() ? Set.of(this) : with(waiting, this);
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        acquirePermit(timeout, deadline);
        InflightCall call = new InflightCall();
        current = call;
        if (closedBecause != null) { // close() may have read `current` just before it was set
            endIfNeverStarted(call);
            checkOpen();
        }
        GilTask<T> work = in -> { // runs only once the call started (see PythonInterpreter.runAttached)
            permitHolder = Thread.currentThread();
            Set<PythonContext> outer = WAITING_ON_THIS_THREAD.get();
            WAITING_ON_THIS_THREAD.set(enclosing);
            try {
                return runTask(in, call, task);
            } finally {
                WAITING_ON_THIS_THREAD.set(outer);
                permitHolder = null;
                endCall();
            }
        };
        try {
            Duration left = timeout == null ? null : Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            return interpreter.call(call, left, work);
        } catch (CallTimeoutException e) {
            endIfNeverStarted(call);
            throw new PyException("builtins.TimeoutError", e.getMessage(), "", null, PyException.Kind.TIMEOUT);
        } catch (RuntimeException e) {
            endIfNeverStarted(call);
            throw e;
        }
    }

    private static Set<PythonContext> with(Set<PythonContext> set, PythonContext one) {
        Set<PythonContext> out = new java.util.HashSet<>(set);
        out.add(one);
        return Set.copyOf(out);
    }

    /**
     * A call made from Java code that this context's own Python called, on the same thread: the
     * permit is this thread's already, and the interpreter runs it inline (no hand-off, no wait).
     * It is bounded by the outer call's timeout.
     */
    private <T> T reenter(ContextTask<T> task) {
        InflightCall outer = current;
        InflightCall call = new InflightCall();
        current = call;
        try {
            return interpreter.call(call, null, in -> runTask(in, call, task));
        } finally {
            current = outer;
        }
    }

    private <T> T runTask(PythonInterpreter in, InflightCall call, ContextTask<T> task) {
        calls.incrementAndGet();
        io.pyhost.core.interop.PyhostModule.beforeCall(in); // its Python may call Java; pyhost stays importable
        if (!handlesToRelease.isEmpty()) {
            releaseQueuedHandles();
        }
        if (!buffersToRelease.isEmpty() || !stillExported.isEmpty()) {
            releaseClosedBuffers();
            retryStillExported();
        }
        int viewsBefore = sharedViews.size();
        boolean entered = sandboxThreads != null && Sandbox.enter(in, sandboxThreads);
        try {
            T result = io.pyhost.core.interop.PythonHost.with(this, () -> task.run(in, call)); // it owns what its Python registers
            if (sharedViews.size() > viewsBefore && !releaseSharedViews(viewsBefore)) {
                throw memoryKept();
            }
            return result;
        } catch (Values.ConversionException e) {
            throw PyErrors.fetch(in, call); // before anything else calls into Python
        } finally {
            if (sharedViews.size() > viewsBefore) {
                releaseSharedViews(viewsBefore); // the call failed: its views go all the same
            }
            if (entered) {
                Sandbox.leave(in, sandboxThreads);
            }
        }
    }

    /** After a call's Python work, on its thread, GIL held: a closed context's globals go with its last call. */
    private void endCall() {
        current = null;
        if (closedBecause != null) {
            releaseGlobals();
        }
        permit.release();
    }

    /** A call that never started gives the permit back itself (its work will never run). */
    private void endIfNeverStarted(InflightCall call) {
        if (call.abandon()) {
            current = null;
            permit.release();
        }
    }

    /**
     * GIL held. Releases the globals and the Python objects this context registered as services,
     * once; completes {@link #released()} when the interpreter is done too.
     */
    private void releaseGlobals() {
        if (globalsReleased.compareAndSet(false, true)) {
            releaseAllHandles();
            releaseAllBuffers();
            async.release();
            io.pyhost.core.interop.PythonServices.shared().endAll(this);
            preloadHosts.forEach(io.pyhost.core.interop.PythonServices.shared()::endAll);
            globals.close();
            if (interpreter.isMain()) {
                released.complete(null);
            }
        }
    }

    /**
     * Takes the context's permit within {@code timeout}; without a timeout, fails with
     * {@link ContextBusyException} once the call holding the permit is overdue (see the class comment).
     */
    private void acquirePermit(Duration timeout, long deadline) {
        try {
            while (true) {
                long slice = BUSY_CHECK_NANOS;
                if (timeout == null) {
                    failIfOverdue();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        InflightCall holder = current;
                        Instant since = holder == null ? null : holder.startedAt();
                        throw new PyException("builtins.TimeoutError", "context " + id
                                + " stayed busy with an earlier call past this call's timeout of " + timeout.toMillis() + " ms"
                                + (since == null ? "" : " (busy since " + since + ")"), "", null, PyException.Kind.TIMEOUT);
                    }
                    slice = Math.min(slice, left);
                }
                if (permit.tryAcquire(slice, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for context " + id, e);
        }
        if (closedBecause != null) {
            permit.release();
            checkOpen();
        }
    }

    private void failIfOverdue() {
        InflightCall running = current;
        if (running != null && running.nanosPastTimeout() > OVERDUE_GRACE_NANOS && running.state() != InflightCall.State.ENDED) {
            Instant since = running.startedAt();
            throw new ContextBusyException("context " + id + " (" + mode + ") is busy since " + since
                    + " with a call that ran past its timeout and has not stopped although interrupted (blocked in C code?);"
                    + " calls fail until it returns", since);
        }
    }

    private void checkOpen() {
        String why = closedBecause;
        if (why != null) {
            throw new IllegalStateException("context " + id + " (" + mode + ") is closed: " + why);
        }
    }

    private static void checkCode(String code, String what) {
        if (code == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (code.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
    }

    private static void checkName(String name, String what) {
        if (name == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
    }

    // ---- PythonHost: the Python services this context registered run here ----

    /**
     * Hosts of what was registered while this context was made: its {@code ContextOptions.preload},
     * and the shared preload of its own interpreter (sub-interpreters). Their services end with it.
     */
    private final List<io.pyhost.core.interop.PythonHost> preloadHosts = new java.util.concurrent.CopyOnWriteArrayList<>();

    void adoptPreloadHost(io.pyhost.core.interop.PythonHost host) {
        preloadHosts.add(host);
    }

    /** Runs a Java call on a Python service of this context: like any call, under the context's call timeout. */
    @Override
    public <T> T run(io.pyhost.core.bridge.GilTask<T> work) {
        return invoke(callTimeout, (in, call) -> work.run(in));
    }

    @Override
    public String describe() {
        return "context " + id + " (" + mode + ")";
    }

    private final java.util.function.Consumer<String> output;       // ContextOptions.output, or null: the log
    private final java.util.function.Consumer<String> errorOutput;  // ContextOptions.errorOutput, else output
    private final java.util.concurrent.atomic.AtomicBoolean sinkFailed = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void printed(boolean error, String line) {
        java.util.function.Consumer<String> sink = error ? errorOutput : output;
        if (sink == null) {
            io.pyhost.core.interop.PythonHost.super.printed(error, line);
            return;
        }
        try {
            sink.accept(line);
        } catch (RuntimeException e) {
            if (sinkFailed.compareAndSet(false, true)) { // said once: a failing sink must not flood the log
                System.getLogger(PythonContext.class.getName()).log(System.Logger.Level.WARNING,
                        "pyhost: the output sink of " + describe() + " failed; its lines are lost while it fails", e);
            }
        }
    }

    @Override
    public boolean interrupt() {
        InflightCall running = current;
        return running != null && closedBecause == null && interpreter.interrupt(running);
    }

    @Override
    public boolean isClosed() {
        return closedBecause != null;
    }

    @Override
    public void close() {
        close("it was closed");
    }

    /**
     * Closes with a reason later calls will be told; returns within the close timeout whatever
     * Python is doing. A running call is interrupted (again and again) and waited for; then the
     * globals are released and the interpreter ended (a sub-interpreter on its own thread, after
     * its Python threads were asked to stop). What cannot finish in time (a call or a thread
     * blocked in C code) finishes later by itself; meanwhile {@link #released()} is pending and
     * the context is listed as abandoned. Idempotent.
     */
    void close(String reason) {
        synchronized (this) {
            if (closedBecause != null) {
                return;
            }
            closedBecause = reason;
        }
        try {
            long deadline = System.nanoTime() + closeTimeout.toNanos();
            // its services leave first (no GIL held: consumers are told at once, and a call they make now is refused)
            io.pyhost.core.interop.PythonServices.shared().unregisterAll(this);
            preloadHosts.forEach(io.pyhost.core.interop.PythonServices.shared()::unregisterAll);
            InflightCall running = current;
            if (running != null) {
                interpreter.interrupt(running);
            }
            boolean idle = acquireUninterruptibly(deadline); // an interrupted closer must not leave the context half-closed
            if (idle) {
                // Releasing runs Python (__del__, a buffer's __release_buffer__): a call like any
                // other, interrupted past the deadline until it ends, never left looping on a lane.
                InflightCall closing = new InflightCall();
                current = closing;
                try {
                    interpreter.call(closing, left(deadline), in -> {
                        releaseGlobals();
                        return null;
                    });
                } catch (PythonInterpreter.CallTimeoutException | IllegalStateException late) {
                    // the GIL is held elsewhere (worker mode) or the interpreter is gone: released when it can be
                } finally {
                    current = null;
                    permit.release(); // callers queued behind close now see closedBecause and fail at once
                }
            }
            // else: the running call releases the globals when it returns (endCall)
            interpreter.close(left(deadline));
            if (!interpreter.isMain()) {
                interpreter.ended().thenRun(() -> released.complete(null));
            }
        } finally {
            onClose.accept(this);
        }
    }

    /** Takes the permit by {@code deadline}, ignoring (and keeping) the caller's interrupt flag. */
    private boolean acquireUninterruptibly(long deadline) {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return permit.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    @Override
    public String toString() {
        return "PyContext[" + id + ", " + mode + (closedBecause == null ? "" : ", closed") + "]";
    }
}
