package io.pyhost.strategy.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.pyhost.api.ContextInfo;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyException;
import io.pyhost.api.PyObject;
import io.pyhost.spi.ContextRequest;
import io.pyhost.spi.JavaAccess;
import io.pyhost.spi.ProvidedContext;

/**
 * One {@code process} context: a child CPython running {@code pyhost_child.py}, driven over its
 * stdin/stdout with {@link Frames}. Calls are serialized by a one-permit semaphore that the
 * reader thread releases when the child answers, so a caller released at its deadline never lets
 * the next call overtake the child's still running one. A call past its deadline gets SIGINT and,
 * if the child has not answered {@link #KILL_GRACE} later, the child is killed. When the child
 * dies, however it dies, the context closes with the reason and the running call fails with it.
 *
 * <p>Python reaches Java through core's {@code pyhost} module, run in the child with a {@code _raw}
 * that sends upcalls ({@link Frames#UPCALL}). Each upcall runs on a virtual thread of its own, so the
 * caller keeps its deadline whatever the Java side does; one from the thread that runs the JVM's
 * request may re-enter the context (Python → Java → Python): that thread's requests skip the queue
 * (the child serves them while it waits for the upcall's answer). Java objects lent to the child and
 * the Python objects behind {@link ProcessObject}s are kept by reference in tables on both sides,
 * released when the other side drops them and all at close.
 */
final class ProcessContext implements ProvidedContext, Frames.Refs {
    private static final Logger LOG = System.getLogger(ProcessContext.class.getName());
    private static final Logger OUTPUT = System.getLogger("python.output");

    /** How long a call past its deadline has, after SIGINT, before its child is killed. */
    static final Duration KILL_GRACE = Duration.ofSeconds(1);
    /** How often an interrupt is repeated while its call runs (one SIGINT may land before the call starts, or be caught). */
    static final Duration INTERRUPT_REPEAT = Duration.ofMillis(100);
    /** What a child's start and finish may take beyond the call timeout ({@link #startBound}). */
    static final Duration START_ALLOWANCE = Duration.ofSeconds(10);
    /**
     * Requests up to this size are written by their caller. Between requests the child reads, and its
     * pipe holds 1 MiB (64 KiB where the kernel refuses more): such a write blocks only behind that much
     * unread data. A bigger one may fill the pipe and wait for the child, so it is written by a thread of
     * its own while the caller keeps its deadline (about 10 µs more, next to the copying of 64 KiB).
     */
    static final int INLINE_WRITE = 64 << 10;
    /** The open-file limit of a sandboxed child. */
    static final int SANDBOX_OPEN_FILES = 256;

    /** How many Java exceptions of uncaught {@code pyhost.JavaError}s are kept for the Java caller (the newest). */
    static final int KEPT_JAVA_ERRORS = 64;
    /** The context whose running request the current thread serves an upcall of: its requests re-enter. */
    private static final ThreadLocal<ProcessContext> REENTERING = new ThreadLocal<>();
    /**
     * While a caller waits, the reader polls the pipe this long before it blocks in {@code read}: a
     * blocked reader costs every answer a wake-up (about 13 µs on this project's 2-core machines),
     * and most small answers come sooner. The child polls as long for the next request after each
     * answer (pyhost_child.py; not under a CPU limit, which would be charged for it). The caller
     * itself parks: two threads spinning beside the child would leave it no core. Read at each
     * context's start; {@code -Dpyhost.process.spinMicros=0} never polls (one core, a crowded host).
     */
    static long spinMicros() {
        return Math.clamp(Long.getLong("pyhost.process.spinMicros", 50), 0, 1000);
    }
    /**
     * glibc's malloc in the child: a value of a few MiB crosses in buffers of its size (the frame
     * read, the decoded value, the encoded answer), which by default are mmapped, or trimmed back to
     * the kernel once freed, and each page is faulted in again at the next call: a 10 MB echo took
     * 88 ms, 10-24 ms of it in the child's page faults. Freed memory up to 64 MiB stays in the heap
     * for the next call (measured: 13 ms), and only blocks above 32 MiB get an mmap of their own. The
     * memory limit is unaffected: it bounds the address space, kept or not.
     */
    private static final String MALLOC_TUNABLES = "glibc.malloc.trim_threshold=" + (64 << 20) + ":glibc.malloc.mmap_threshold=" + (32 << 20);

    /** A call sent to the child, until the child answers it. */
    private static final class Call {
        final long seq;
        final CompletableFuture<Frames.Frame> answer = new CompletableFuture<>();
        final Instant startedAt = Instant.now();
        volatile boolean timedOut;
        volatile boolean interrupted;
        /** Run by the reader with the answer, before anyone else hears of it (an async call's task is registered). */
        volatile Consumer<Frames.Frame> onAnswer;

        Call(long seq) {
            this.seq = seq;
        }
    }

    /** A Python object registered as an OSGi service, until Python or the context's end unregisters it. */
    private record Registered(JavaAccess.Registration registration, ProcessObject object) {
    }

    private volatile ContextRequest request;               // a warm pool's template until adopted
    private final Process process;
    private final OutputStream toChild;
    private final DataInputStream fromChild;
    private final Semaphore slot = new Semaphore(1, true);
    private final Object lock = new Object();
    private final Object writing = new Object();           // one frame at a time to the child
    private Call current;                                  // the request that holds the slot; guarded by lock
    private final Map<Long, Call> pending = new java.util.HashMap<>(); // every unanswered request, re-entering ones too; guarded by lock
    private long nextSeq = 1;                              // guarded by lock
    private final Map<Long, JavaAccess.Lent> lent = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Handles Java dropped without closing them (as the in-process modes' Cleaner does): their ids go to
     * the child before the next request, so a loop that never closes its PyObjects does not grow the child's table.
     */
    private final java.lang.ref.ReferenceQueue<ProcessObject> collected = new java.lang.ref.ReferenceQueue<>();
    private final java.util.Set<HandleRef> handleRefs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong nextRef = new AtomicLong();
    private final Map<Long, Registered> registered = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong nextToken = new AtomicLong();
    /** Async tasks running on the child's asyncio loop, by task id; guarded by itself. */
    private final Map<Long, CompletableFuture<Object>> tasks = new java.util.HashMap<>();
    /** Frames nobody waits for, written before the next frame ({@link #post}). */
    private final java.util.Queue<byte[]> outbox = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicBoolean posting = new AtomicBoolean();
    /** Threads running the child's upcalls: interrupted with the call they serve (a service lookup waiting, say). */
    private final java.util.Set<Thread> upcalls = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<Long, Throwable> javaErrors = java.util.Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Throwable> eldest) {
            return size() > KEPT_JAVA_ERRORS;
        }
    });
    private volatile String closedBecause;
    private volatile String killedBecause;                 // why pyhost killed the child, if it did
    private volatile boolean grouped;                      // the child leads a process group of its own (ended() kills the group)
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicLong calls = new AtomicLong();
    /** Callers waiting for an answer now: the reader polls for it before it blocks. */
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    private final long spinNanos = TimeUnit.MICROSECONDS.toNanos(spinMicros());
    private volatile Instant created = Instant.now();
    private final ArrayDeque<String> stderrTail = new ArrayDeque<>(); // guarded by itself
    private final CompletableFuture<Void> readerDone = new CompletableFuture<>();
    private volatile Consumer<String> out;
    private volatile Consumer<String> err;
    /** Output of a pooled child's shared preload, kept for the context that adopts it; null once adopted. */
    private List<Object[]> heldOutput;                    // guarded by lock
    private Thread reader;
    private Thread stderrDrain;

    private ProcessContext(ContextRequest request, Process process) {
        this.request = request;
        this.process = process;
        this.toChild = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.fromChild = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        var options = request.options();
        this.out = options.output();
        this.err = options.errorOutput() != null ? options.errorOutput() : options.output();
    }

    /**
     * Starts the child (on {@code spawner}, whose thread must outlive it: the child's parent-death
     * signal fires when the thread that started it ends), applies the preload and the limits, and
     * returns the ready context.
     */
    static ProcessContext start(ContextRequest request, Path server, Executor spawner) {
        ProcessContext context = prepare(request, server, spawner, false);
        context.finish();
        return context;
    }

    /**
     * Makes {@code pooled} (ready with {@link #prepare}{@code (..., true)}) the context of {@code request}:
     * the id, the sinks (which get the output its shared preload wrote), the timeouts and the closing
     * callback become the request's, then the limits, the sandbox and the context's preload are applied.
     *
     * @throws IllegalStateException the child died meanwhile (it is closed; the caller may start a new one)
     */
    static ProcessContext adopt(ProcessContext pooled, ContextRequest request) {
        List<Object[]> held;
        synchronized (pooled.lock) {
            pooled.request = request;
            var options = request.options();
            pooled.out = options.output();
            pooled.err = options.errorOutput() != null ? options.errorOutput() : options.output();
            pooled.created = Instant.now();
            held = pooled.heldOutput;
            pooled.heldOutput = null;
        }
        pooled.reader.setName("pyhost-process-" + request.id() + "-reader");
        pooled.stderrDrain.setName("pyhost-process-" + request.id() + "-stderr");
        if (held != null) {
            for (Object[] line : held) {
                pooled.output((Consumer<String>) (line[0] == Frames.OUT_SINK ? pooled.out : pooled.err), (Level) line[1], (String) line[2]);
            }
        }
        pooled.finish();
        return pooled;
    }

    /** The context's own part: limits, sandbox, {@code ContextOptions.preload}. On failure the child is ended. */
    private void finish() {
        try {
            send(Frames.FINISH, finishConfig(), startBound(request), false);
        } catch (RuntimeException e) {
            kill("its start failed");
            awaitEnd();
            throw e; // a PyException of the preload, or how the child died
        }
    }

    /**
     * Starts the child and applies the shared preload (paths, imports, fragments), not yet the
     * context's own part ({@link #finish}). A {@code pooled} child keeps its output for the context that adopts it.
     */
    static ProcessContext prepare(ContextRequest request, Path server, Executor spawner, boolean pooled) {
        List<String> command = List.of(request.pythonExecutable().toString(), "-s", "-P", server.toString(),
                String.valueOf(ProcessHandle.current().pid()));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.clear(); // nothing of the JVM's environment reaches the child
        env.put("PYTHONHOME", request.pythonHome().toString());
        env.put("LD_LIBRARY_PATH", libraryPath(request));
        env.put("PATH", "/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        env.put("PYTHONUTF8", "1");
        env.put("GLIBC_TUNABLES", MALLOC_TUNABLES);
        Process process;
        try {
            process = CompletableFuture.supplyAsync(() -> {
                try {
                    return builder.start();
                } catch (IOException e) {
                    throw new IllegalStateException("mode 'process' could not start " + command.get(0) + ": " + e.getMessage(), e);
                }
            }, spawner).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        ProcessContext context = new ProcessContext(request, process);
        if (pooled) {
            context.heldOutput = new ArrayList<>();
        }
        context.startThreads();
        try {
            Object started = context.send(Frames.START, context.startConfig(), startBound(request), false);
            context.grouped = started instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("group"));
        } catch (RuntimeException e) {
            context.kill("its start failed");
            context.awaitEnd();
            throw e; // a PyException of the preload, or how the child died
        }
        return context;
    }

    /**
     * The child's {@code LD_LIBRARY_PATH}: libpython's directory, then those of the libraries that
     * package bundles loaded globally into this JVM ({@code NativeLibraries}): there an extension
     * finds them already loaded (numpy's {@code libopenblas.so.0}), the child must find them by soname.
     */
    static String libraryPath(ContextRequest request) {
        java.util.LinkedHashSet<String> dirs = new java.util.LinkedHashSet<>();
        if (request.pythonLibrary() != null && request.pythonLibrary().getParent() != null) {
            dirs.add(request.pythonLibrary().getParent().toString());
        }
        io.pyhost.python.cache.NativeLibraries.loadedDirectories().forEach(d -> dirs.add(d.toString()));
        return String.join(":", dirs);
    }

    /**
     * The bound of a child's start and finish: the call timeout, plus {@link #START_ALLOWANCE} for
     * what is not a call (a CPython start, the sandbox's ctypes): a context with a 20 ms call timeout
     * can be created, as in the in-process modes, while a preload that never returns still ends.
     */
    private static Duration startBound(ContextRequest request) {
        return request.callTimeout() == null ? null : request.callTimeout().plus(START_ALLOWANCE);
    }

    private Map<String, Object> startConfig() {
        List<List<String>> fragments = new ArrayList<>();
        for (Fragment f : request.fragments()) {
            fragments.add(List.of(f.origin(), f.code()));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("paths", request.paths());
        config.put("imports", request.imports());
        config.put("fragments", fragments);
        config.put("module", request.java() == null ? null : request.java().pyhostModule());
        config.put("spin", spinNanos / 1e9);
        return config;
    }

    private Map<String, Object> finishConfig() {
        var options = request.options();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("preload", options.preload());
        config.put("sandbox", request.sandbox());
        config.put("memory", options.memoryLimit());
        config.put("cpu", options.cpuLimit() == null ? null : (options.cpuLimit().toNanos() + 999_999_999L) / 1_000_000_000L);
        config.put("open_files", request.sandbox() ? SANDBOX_OPEN_FILES : null);
        return config;
    }

    private void startThreads() {
        reader = Thread.ofPlatform().daemon().name("pyhost-process-" + request.id() + "-reader").start(this::readAnswers);
        stderrDrain = Thread.ofPlatform().daemon().name("pyhost-process-" + request.id() + "-stderr").start(this::drainStderr);
    }

    // ------------------------------------------------------------------ PyContext

    @Override
    public long id() {
        return request.id();
    }

    @Override
    public String mode() {
        return request.mode();
    }

    /** The child's process id. */
    long pid() {
        return process.pid();
    }

    @Override
    public Object eval(String expression) {
        return eval(expression, null, request.callTimeout());
    }

    @Override
    public Object eval(String expression, Map<String, ?> locals) {
        return eval(expression, locals, request.callTimeout());
    }

    @Override
    public Object eval(String expression, Map<String, ?> locals, Duration timeout) {
        checkCode(expression, "expression");
        return send(Frames.EVAL, java.util.Arrays.asList(expression, locals == null ? null : checkedLocals(locals), false), timeout, true);
    }

    @Override
    public void exec(String code) {
        exec(code, request.callTimeout());
    }

    @Override
    public void exec(String code, Duration timeout) {
        checkCode(code, "code");
        send(Frames.EXEC, code, timeout, true);
    }

    @Override
    public Object call(String module, String function, List<?> args, Map<String, ?> kwargs) {
        return call(module, function, args, kwargs, request.callTimeout());
    }

    @Override
    public Object call(String module, String function, List<?> args, Map<String, ?> kwargs, Duration timeout) {
        checkCode(function, "function");
        if (module != null) {
            checkCode(module, "module");
        }
        if (kwargs != null) {
            checkedLocals(kwargs);
        }
        return send(Frames.CALL, java.util.Arrays.asList(module == null || module.isEmpty() ? null : module, function,
                args == null ? List.of() : args, kwargs == null ? Map.of() : kwargs), timeout, true);
    }

    @Override
    public PyObject evalObject(String expression) {
        return evalObject(expression, null);
    }

    @Override
    public PyObject evalObject(String expression, Map<String, ?> locals) {
        checkCode(expression, "expression");
        return (PyObject) send(Frames.EVAL_OBJECT, java.util.Arrays.asList(expression, locals == null ? null : checkedLocals(locals)),
                request.callTimeout(), true);
    }

    /** A {@link ProcessObject} method: {@code [operation, id, arguments...]}. */
    Object handleOp(List<Object> operation) {
        return send(Frames.HANDLE_OP, operation, request.callTimeout(), false);
    }

    /** Throws {@link IllegalStateException} once the context is closed. */
    void checkOpen() {
        if (closedBecause != null) {
            throw closedException();
        }
    }

    /** Java closed the handle {@code id}: the child drops its object when it next reads the channel. */
    void drop(long id) {
        if (closedBecause == null) {
            post(Frames.frame(Frames.DROP, 0, List.of(id)));
        }
    }

    /** A handle's weak reference: its id, for the child, once the handle is collected unclosed. */
    static final class HandleRef extends java.lang.ref.WeakReference<ProcessObject> {
        final long id;

        HandleRef(ProcessObject handle, java.lang.ref.ReferenceQueue<ProcessObject> queue) {
            super(handle, queue);
            this.id = handle.id;
        }
    }

    /** Watches {@code handle}: collected unclosed, its object is dropped in the child. */
    HandleRef track(ProcessObject handle) {
        HandleRef ref = new HandleRef(handle, collected);
        handleRefs.add(ref);
        return ref;
    }

    /** {@code handle} was closed: no longer watched. */
    void untrack(HandleRef ref) {
        handleRefs.remove(ref);
        ref.clear();
    }

    /** The handles collected unclosed since the last request go to the child (one frame, ahead of the request). */
    private void dropCollected() {
        List<Long> ids = null;
        for (java.lang.ref.Reference<? extends ProcessObject> r; (r = collected.poll()) != null; ) {
            if (handleRefs.remove(r)) {
                if (ids == null) {
                    ids = new ArrayList<>();
                }
                ids.add(((HandleRef) r).id);
            }
        }
        if (ids != null && closedBecause == null) {
            post(Frames.frame(Frames.DROP, 0, ids));
        }
    }

    // ------------------------------------------------------------------ Frames.Refs

    @Override
    public long handleId(PyObject handle) {
        if (!(handle instanceof ProcessObject p) || !p.belongsTo(this)) {
            throw new IllegalArgumentException("a PyObject of " + (handle instanceof ProcessObject p ? p.toString() : "another context")
                    + " cannot be used in " + this);
        }
        if (p.isClosed()) {
            throw new IllegalStateException("this PyObject of " + this + " was closed");
        }
        return p.id;
    }

    @Override
    public Frames.Lent lend(Object object) {
        JavaAccess java = request.java();
        if (java == null) {
            throw new IllegalArgumentException("cannot convert a Java " + object.getClass().getName() + " to Python: " + this
                    + " reaches no Java objects");
        }
        JavaAccess.Lent given = object instanceof JavaAccess.Lent l ? l : java.lend(object);
        long ref = nextRef.incrementAndGet();
        lent.put(ref, given);
        if (closedBecause != null && lent.remove(ref) != null) {
            // closed meanwhile (an upcall that ended after close, say): releaseAll may have run already
            given.release();
        }
        return new Frames.Lent(ref, given.label(), given.methods());
    }

    @Override
    public Object lent(long ref) {
        JavaAccess.Lent l = lent.get(ref);
        if (l == null) {
            throw new IllegalArgumentException("a pyhost.JavaObject whose Java object is no longer lent to Python");
        }
        return l.object();
    }

    @Override
    public PyObject handle(long id, String type) {
        return new ProcessObject(this, id, type);
    }

    @Override
    public CompletableFuture<Object> evalAsync(String expression) {
        checkCode(expression, "expression");
        return async(java.util.Arrays.asList("eval", expression));
    }

    @Override
    public CompletableFuture<Object> callAsync(String module, String function, List<?> args, Map<String, ?> kwargs) {
        checkCode(function, "function");
        if (module != null) {
            checkCode(module, "module");
        }
        if (kwargs != null) {
            checkedLocals(kwargs);
        }
        return async(java.util.Arrays.asList("call", module == null || module.isEmpty() ? null : module, function,
                args == null ? List.of() : args, kwargs == null ? Map.of() : kwargs));
    }

    /**
     * Sends the request from a virtual thread. An awaitable result becomes a task on the child's
     * asyncio loop, running concurrently with the context's other tasks, and the future completes
     * with its outcome ({@link Frames#TASK_DONE}). Cancelling the future interrupts the request, or
     * cancels the task.
     */
    private CompletableFuture<Object> async(List<Object> request) {
        long[] task = new long[1]; // the task id, once the child started one; guarded by tasks' lock
        // the START_ASYNC request once sent: a cancel interrupts that one, never whatever call happens to run
        java.util.concurrent.atomic.AtomicReference<Call> sent = new java.util.concurrent.atomic.AtomicReference<>();
        CompletableFuture<Object> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                if (cancelled) {
                    long id;
                    synchronized (tasks) {
                        id = task[0];
                        tasks.remove(id);
                    }
                    if (id != 0 && closedBecause == null) {
                        post(Frames.frame(Frames.CANCEL_TASK, id, null));
                    } else if (id == 0 && sent.get() != null) {
                        interrupt(sent.get()); // not sent yet: the request thread sees the cancel and sends nothing
                    }
                }
                return cancelled;
            }
        };
        Thread.ofVirtual().name("pyhost-process-" + id() + "-async").start(() -> {
            try {
                if (future.isDone()) {
                    return; // cancelled before its turn
                }
                List<?> started = (List<?>) send(Frames.START_ASYNC, request, this.request.callTimeout(), true, call -> {
                    sent.set(call);
                    // the task is registered by the reader as it reads the answer: its outcome (a T frame) comes
                    // right behind, maybe before this thread wakes up
                    call.onAnswer = answer -> {
                        if (answer.kind() == Frames.RESULT && answer.value() instanceof List<?> l && Boolean.TRUE.equals(l.get(0))
                                && l.get(1) instanceof Long id) {
                            boolean orphan;
                            synchronized (tasks) {
                                task[0] = id;
                                orphan = future.isDone(); // cancelled, or its caller timed out: the task is not wanted
                                if (!orphan) {
                                    tasks.put(id, future);
                                }
                            }
                            if (orphan && closedBecause == null) { // posted: the reader thread must never wait for the child
                                post(Frames.frame(Frames.CANCEL_TASK, id, null));
                            }
                        }
                    };
                    if (future.isCancelled()) {
                        interrupt(call);
                    }
                });
                if (!Boolean.TRUE.equals(started.get(0))) {
                    future.complete(started.get(1));
                    return;
                }
                long id = (Long) started.get(1);
                if (future.isCancelled() && closedBecause == null) {
                    post(Frames.frame(Frames.CANCEL_TASK, id, null));
                } else if (closedBecause != null && tasks.remove(id) != null) {
                    future.completeExceptionally(closedException());
                }
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    /** {@link Frames#TASK_DONE}: {@code [0, value]}, {@code [1, described exception]}, {@code [2, unconvertible]} or {@code [3]} (cancelled). */
    private void taskDone(long id, Object value) {
        CompletableFuture<Object> future;
        synchronized (tasks) {
            future = tasks.remove(id);
        }
        if (future == null) {
            return; // cancelled by Java
        }
        // not on the reader thread: the future's dependent stages run where it completes, and one that
        // calls this context would wait for an answer only the reader can read (until its timeout kills the child)
        Thread.ofVirtual().name("pyhost-process-" + id() + "-task").start(() -> {
            if (!(value instanceof List<?> outcome)) {
                future.completeExceptionally(new IllegalArgumentException(String.valueOf(value instanceof Frames.Refused r ? r.message() : value)));
                return;
            }
            switch (((Long) outcome.get(0)).intValue()) {
                case 0 -> future.complete(outcome.get(1));
                case 1 -> future.completeExceptionally(raised(null, (List<?>) outcome.get(1)));
                case 2 -> future.completeExceptionally(new IllegalArgumentException(String.valueOf(outcome.get(1))));
                default -> future.cancel(false);
            }
        });
    }

    @Override
    public boolean interrupt() {
        Call running;
        synchronized (lock) {
            running = current;
        }
        return running != null && interrupt(running);
    }

    /** Interrupts {@code call} if it is the running request (else it has ended, or has not started: nothing to stop). */
    private boolean interrupt(Call call) {
        synchronized (lock) {
            if (current != call || closedBecause != null) {
                return false;
            }
            call.interrupted = true;
        }
        interruptUntilAnswered(call);
        return true;
    }

    /**
     * Sends SIGINT now and every {@link #INTERRUPT_REPEAT} while {@code call} is unanswered. Sent
     * under the lock that the reader takes to finish a call, so a signal is always pending in the
     * child before the next call can be sent: the child then takes it while idle, and ignores it.
     */
    private void interruptUntilAnswered(Call call) {
        synchronized (lock) {
            if (pending.get(call.seq) != call || closedBecause != null) {
                return;
            }
            Signals.send(process, Signals.SIGINT);
            upcalls.forEach(Thread::interrupt); // Java code that honours interrupts stops waiting too
        }
        CompletableFuture.delayedExecutor(INTERRUPT_REPEAT.toMillis(), TimeUnit.MILLISECONDS).execute(() -> interruptUntilAnswered(call));
    }

    @Override
    public boolean isClosed() {
        return closedBecause != null;
    }

    @Override
    public void close() {
        close("it was closed");
    }

    @Override
    public void close(String reason) {
        Objects.requireNonNull(reason, "reason");
        synchronized (lock) {
            if (closedBecause != null) {
                return;
            }
            closedBecause = reason;
            if (current != null) {
                Signals.send(process, Signals.SIGINT); // the running call ends; its caller gets the closed context's message
            }
        }
        // the child's read ends and it exits by itself; closed off this thread, as a writer blocked on a
        // full pipe (a child that reads nothing) holds the stream until the child is killed below
        Thread.ofVirtual().name("pyhost-process-" + id() + "-eof").start(() -> {
            try {
                toChild.close();
            } catch (IOException e) {
                // it is gone already
            }
        });
        try {
            if (!process.waitFor(request.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        awaitEnd();
    }

    @Override
    public ContextInfo info(String strategy) {
        Call running;
        synchronized (lock) {
            running = current;
        }
        boolean busy = running != null;
        ContextInfo.State state = !busy ? ContextInfo.State.IDLE : running.timedOut ? ContextInfo.State.OVERDUE : ContextInfo.State.BUSY;
        return new ContextInfo(id(), mode(), strategy, created, calls.get(), busy, state, busy ? running.startedAt : null,
                process.pid(), residentBytes(process.pid()));
    }

    /** {@code VmRSS} of {@code /proc/<pid>/status} in bytes; {@link ContextInfo#NONE} when it cannot be read (the child is gone). */
    static long residentBytes(long pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or no /proc
        }
        return ContextInfo.NONE;
    }

    /** As core names contexts (a service's {@code pyhost.host}, a log record's origin): "context 12 (process)". */
    String describe() {
        return "context " + id() + " (" + mode() + ")";
    }

    @Override
    public String toString() {
        return "context " + id() + " (" + mode() + ", pid " + process.pid() + ")";
    }

    // ------------------------------------------------------------------ calls

    private static void checkCode(String code, String what) {
        if (code == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (code.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
    }

    private static Map<String, ?> checkedLocals(Map<String, ?> names) {
        for (Object name : names.keySet()) {
            if (!(name instanceof String s)) {
                throw new IllegalArgumentException("a name must be a String, was " + (name == null ? "null" : name.getClass().getName()));
            }
            checkCode(s, "name");
        }
        return names;
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("context " + id() + " (" + mode() + ") is closed: " + closedBecause);
    }

    /**
     * Sends one request and waits for its answer, at most {@code timeout} (null: no bound). A request
     * of a thread serving an upcall of this context's running request re-enters: it skips the slot
     * (the child serves it while that upcall waits).
     */
    private Object send(byte kind, Object value, Duration timeout, boolean counted) {
        return send(kind, value, timeout, counted, null);
    }

    /** {@link #send}; {@code started} (if not null) is given the call as it is made, before its frame is written. */
    private Object send(byte kind, Object value, Duration timeout, boolean counted, Consumer<Call> started) {
        byte[] frame = Frames.frame(kind, 0, value, this); // bad arguments fail here, before anything is sent
        if (closedBecause != null) {
            throw closedException();
        }
        if (Thread.currentThread() == reader) {
            // an output sink or a log handler, run by the reader as it reads the running call's output: the
            // answer would be read by this very thread, after it returned (it hung until the call's timeout)
            throw new IllegalStateException(this + ": its output sink or log handler runs on the thread that reads the "
                    + "context's answers, so calling the context from there would deadlock; hand the work to another thread");
        }
        boolean reentering = REENTERING.get() == this;
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        try {
            if (reentering) {
                // the slot is the running request's, whose upcall this thread serves
            } else if (timeout == null) {
                slot.acquire();
            } else if (!slot.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new PyException("builtins.TimeoutError", "the call ran past its timeout of " + timeout.toMillis()
                        + " ms while an earlier call of the context was still being stopped", "", null, PyException.Kind.TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for context " + id() + " (" + mode() + ")", e);
        }
        Call call;
        synchronized (lock) {
            if (closedBecause != null) {
                if (!reentering) {
                    slot.release();
                }
                throw closedException();
            }
            call = new Call(nextSeq++);
            pending.put(call.seq, call);
            if (!reentering) {
                current = call;
            }
        }
        if (counted) {
            calls.incrementAndGet();
        }
        if (started != null) {
            started.accept(call);
        }
        dropCollected();
        java.nio.ByteBuffer.wrap(frame, 5, 8).putLong(call.seq);
        Frames.Frame answer;
        waiting.incrementAndGet();
        try {
            if (frame.length <= INLINE_WRITE) {
                write(frame);
            } else {
                // a blocking pipe write cannot be given a deadline: a child that reads nothing (its main thread
                // held between requests: a signal handler, a __del__) held the caller in it past its timeout.
                // Written by another thread, the caller waits for the answer within its timeout as for any
                // call, and a child that does not read it is interrupted and then killed, which ends the write.
                Thread.ofVirtual().name("pyhost-process-" + id() + "-request").start(() -> write(frame));
            }
            answer = await(call, timeout, deadline);
        } finally {
            waiting.decrementAndGet();
        }
        return switch (answer.kind()) {
            case Frames.RESULT -> {
                if (answer.value() instanceof Frames.Refused refused) {
                    throw new IllegalArgumentException(refused.message());
                }
                yield answer.value();
            }
            case Frames.UNCONVERTIBLE -> throw new IllegalArgumentException(String.valueOf(answer.value()));
            default -> throw raised(call, (List<?>) answer.value());
        };
    }

    /**
     * Queues a frame nobody waits for (a drop, a cancel): a virtual thread writes it, or the next
     * {@link #write}, whichever comes first, so it always reaches the child before any later frame
     * (a closed handle is freed before the next request runs). The child reads nothing while a call
     * runs its code, and once its pipe is full a write blocks until it reads again, which a
     * {@code PyObject.close()} or a {@code cancel} must never wait for.
     */
    private void post(byte[] frame) {
        outbox.add(frame);
        if (posting.compareAndSet(false, true)) {
            Thread.ofVirtual().name("pyhost-process-" + id() + "-post").start(() -> {
                posting.set(false); // before writing: a frame posted from now on starts another thread, or goes with this one
                write(null);
            });
        }
    }

    /**
     * Writes the posted frames, then {@code frame} (if not null), whole; a child that is gone is
     * noticed by the reader, which closes the context.
     */
    private void write(byte[] frame) {
        synchronized (writing) {
            try {
                for (byte[] posted; (posted = outbox.poll()) != null; ) {
                    toChild.write(posted);
                }
                if (frame != null) {
                    toChild.write(frame);
                }
                toChild.flush();
            } catch (IOException e) {
                // the child is gone: the reader closes the context with the reason and fails the calls
            }
        }
    }

    private Frames.Frame await(Call call, Duration timeout, long deadline) {
        try {
            return timeout == null ? call.answer.get() : call.answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.timedOut = true;
            interruptUntilAnswered(call);
            CompletableFuture.delayedExecutor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (!call.answer.isDone()) {
                    kill("a call ran past its timeout of " + timeout.toMillis() + " ms and did not stop within "
                            + KILL_GRACE.toMillis() + " ms of its interrupt");
                }
            });
            throw new PyException("builtins.TimeoutError", "the call ran past its timeout of " + timeout.toMillis()
                    + " ms and was interrupted", "", null, PyException.Kind.TIMEOUT);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            call.interrupted = true;
            interruptUntilAnswered(call);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for context " + id() + " (" + mode() + "); its call was interrupted", e);
        }
    }

    private PyException raised(Call call, List<?> described) {
        String type = (String) described.get(0);
        PyException.Kind kind = PyException.Kind.GUEST;
        if ("builtins.KeyboardInterrupt".equals(type) && call != null && call.interrupted) {
            kind = PyException.Kind.INTERRUPTED;
        } else if ("builtins.MemoryError".equals(type) && request.options().memoryLimit() != null) {
            kind = PyException.Kind.RESOURCE_EXHAUSTED;
        }
        PyException raised = new PyException(type, (String) described.get(1), (String) described.get(2), (String) described.get(3), kind);
        Throwable java = described.size() > 4 && described.get(4) instanceof Long token && token != 0 ? javaErrors.remove(token) : null;
        if (java != null && (type.equals("pyhost.JavaError") || type.equals("pyhost.ServiceUnavailable"))) {
            raised.initCause(java); // the Java exception behind an uncaught pyhost.JavaError
        }
        return raised;
    }

    // ------------------------------------------------------------------ the child's side

    /** The reader thread: answers complete their calls; output lines go to the sinks; the end of the stream is the child's end. */
    private void readAnswers() {
        try {
            while (true) {
                if (spinNanos > 0 && waiting.get() > 0) {
                    long end = System.nanoTime() + spinNanos;
                    while (fromChild.available() == 0 && System.nanoTime() - end < 0) {
                        Thread.onSpinWait();
                    }
                }
                Frames.Frame frame = Frames.read(fromChild, this);
                if (frame.value() instanceof Frames.Refused refused && frame.kind() != Frames.UPCALL && frame.kind() != Frames.THREAD_UPCALL
                        && frame.kind() != Frames.TASK_DONE && frame.kind() != Frames.RESULT) {
                    LOG.log(Level.WARNING, "pyhost: {0}: a frame of kind {1} ignored: {2}", this, (char) frame.kind(), refused.message());
                    continue;
                }
                switch (frame.kind()) {
                    case Frames.OUT -> outputOrHold(Frames.OUT_SINK, Level.INFO, String.valueOf(frame.value()));
                    case Frames.ERR -> outputOrHold(Frames.ERR_SINK, Level.WARNING, String.valueOf(frame.value()));
                    case Frames.UPCALL, Frames.THREAD_UPCALL -> upcall(frame);
                    case Frames.LOG -> logged((List<?>) frame.value());
                    case Frames.RELEASED -> released((List<?>) frame.value());
                    case Frames.TASK_DONE -> taskDone(frame.seq(), frame.value());
                    default -> answer(frame);
                }
            }
        } catch (EOFException e) {
            // the child closed its end: it exited or was killed
        } catch (IOException | RuntimeException | OutOfMemoryError e) { // OOM: a value from the child bigger than the heap
            if (closedBecause == null && killedBecause == null && process.isAlive()) { // else: the stream closed as the child ended
                LOG.log(Level.WARNING, "pyhost: " + this + ": the channel failed; the child is killed", e);
                kill("its channel failed: " + e);
            }
        } finally {
            ended();
        }
    }

    private void answer(Frames.Frame frame) {
        Call call;
        boolean slotFree;
        synchronized (lock) {
            call = pending.remove(frame.seq());
            if (call == null) {
                LOG.log(Level.WARNING, "pyhost: {0}: an answer to no call (seq {1}) ignored", this, frame.seq());
                return;
            }
            slotFree = call == current;
            if (slotFree) {
                current = null;
            }
        }
        if (call.onAnswer != null) {
            call.onAnswer.accept(frame);
        }
        if (slotFree) {
            slot.release();
        }
        call.answer.complete(frame);
    }

    // ------------------------------------------------------------------ Python calls Java

    /** Error kinds of {@link Frames#UPCALL_FAILED}, as the child raises them: pyhost.JavaError, ServiceUnavailable, TypeError, RuntimeError, ValueError. */
    private static final long JAVA_ERROR = 1, UNAVAILABLE = 2, TYPE_ERROR = 3, RUNTIME_ERROR = 4, VALUE_ERROR = 5;

    /**
     * Runs an upcall of the child on a virtual thread of its own, and answers it. One from the thread
     * that runs the JVM's request ({@link Frames#UPCALL}) may re-enter this context.
     */
    private void upcall(Frames.Frame frame) {
        boolean reentrant = frame.kind() == Frames.UPCALL;
        Thread.ofVirtual().name("pyhost-process-" + id() + "-upcall").start(() -> {
            upcalls.add(Thread.currentThread());
            if (reentrant) {
                REENTERING.set(this);
            }
            byte[] answer;
            try {
                if (frame.value() instanceof Frames.Refused refused) {
                    throw new Refused(VALUE_ERROR, "pyhost: " + refused.message());
                }
                Object result = javaSide((List<?>) frame.value());
                try {
                    answer = Frames.frame(Frames.UPCALL_RESULT, frame.seq(), result, this);
                } catch (IllegalArgumentException unconvertible) {
                    answer = failure(frame.seq(), TYPE_ERROR, "", "pyhost: " + unconvertible.getMessage());
                }
            } catch (Throwable t) {
                answer = failed(frame.seq(), t);
            } finally {
                REENTERING.remove();
                upcalls.remove(Thread.currentThread());
                Thread.interrupted(); // an interrupt meant for the Java code it ran
            }
            if (closedBecause == null) {
                write(answer);
            }
        });
    }

    /**
     * {@code [operation, arguments]} of core's pyhost module ({@link JavaAccess#pyhostModule()}). The
     * module checks its arguments; junk given to {@code _raw} directly fails as a Java exception
     * (a {@code ClassCastException} in a {@code pyhost.JavaError}), which is all it can do.
     */
    @SuppressWarnings("unchecked")
    private Object javaSide(List<?> upcall) throws Exception {
        JavaAccess java = request.java();
        String op = (String) upcall.get(0);
        List<Object> args = (List<Object>) upcall.get(1);
        if (java == null) {
            throw new JavaAccess.Unavailable("io.pyhost.api.PyFunction", this + " reaches nothing in Java");
        }
        return switch (op) {
            case "FUNCTIONS" -> java.functions();
            case "CALL" -> java.call((String) args.get(0), (List<Object>) args.get(1),
                    args.get(2) == null ? Map.of() : (Map<String, Object>) args.get(2));
            case "INVOKE" -> {
                JavaAccess.Lent target = args.get(0) instanceof Long ref ? lent.get(ref) : null;
                if (target == null) {
                    throw new JavaAccess.Unavailable("java.lang.Object", "this Java object is no longer lent to Python");
                }
                yield target.invoke((String) args.get(1), (List<Object>) args.get(2));
            }
            case "SERVICES" -> {
                try {
                    List<JavaAccess.Lent> found = java.services((String) args.get(0), (String) args.get(1), (Long) args.get(2),
                            (Boolean) args.get(3));
                    yield new ArrayList<Object>(found); // each lent by reference as it is sent (Refs.lend)
                } catch (IllegalArgumentException bad) {
                    throw new Refused(VALUE_ERROR, "pyhost.service: " + bad.getMessage());
                }
            }
            case "REGISTER" -> register((List<String>) args.get(0), (ProcessObject) args.get(1),
                    args.get(2) == null ? Map.of() : (Map<String, Object>) args.get(2));
            case "UNREGISTER" -> {
                Registered r = args.get(0) instanceof Long token ? registered.remove(token) : null;
                if (r != null) {
                    unregister(r);
                }
                yield null;
            }
            default -> throw new Refused(TYPE_ERROR, "pyhost: unknown operation " + op);
        };
    }

    /** A Python object of this context becomes an OSGi service; Java's calls on it are requests of the context. */
    private List<Object> register(List<String> types, ProcessObject object, Map<String, Object> properties) {
        String label = "Python service " + types + " of " + describe();
        JavaAccess.Target target = (name, args, isDefault) -> {
            if (closedBecause != null) {
                throw closedException();
            }
            if (object.isClosed()) {
                throw new IllegalStateException(label + " was unregistered");
            }
            List<?> answer = (List<?>) handleOp(java.util.Arrays.asList("service", object.id, name, args, isDefault));
            return Boolean.TRUE.equals(answer.get(0)) ? answer.get(1) : JavaAccess.Target.NO_ATTRIBUTE;
        };
        JavaAccess.Registration registration;
        try {
            registration = request.java().register(describe(), types, properties, target);
        } catch (IllegalArgumentException bad) {
            object.close();
            throw new Refused(TYPE_ERROR, "pyhost.register: " + bad.getMessage());
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
        long token = nextToken.incrementAndGet();
        registered.put(token, new Registered(registration, object));
        if (closedBecause != null && registered.remove(token) != null) { // closed meanwhile: releaseAll may have run already
            unregister(new Registered(registration, object));
        }
        return List.of(token, registration.serviceId());
    }

    private static void unregister(Registered r) {
        try {
            r.registration().unregister();
        } catch (RuntimeException e) {
            // the framework is stopping, or it was unregistered already
        } finally {
            r.object().close();
        }
    }

    /** An upcall pyhost refuses, with the Python exception type the child raises. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long kind;

        Refused(long kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }
    }

    /** The failure frame for what an upcall threw; a Java exception is kept for the Java caller (a PyException's cause). */
    private byte[] failed(long seq, Throwable t) {
        return switch (t) {
            case JavaAccess.Unavailable u -> failure(seq, UNAVAILABLE, u.type(), messageOf(u));
            case JavaAccess.Refused r -> failure(seq, TYPE_ERROR, "", messageOf(r));
            case Refused r -> failure(seq, r.kind, "", r.getMessage());
            default -> {
                long token = nextToken.incrementAndGet();
                javaErrors.put(token, t);
                yield frameOf(seq, List.of(JAVA_ERROR, t.getClass().getName(), messageOf(t), token));
            }
        };
    }

    private static byte[] failure(long seq, long kind, String type, String message) {
        return frameOf(seq, List.of(kind, type, message, 0L));
    }

    private static byte[] frameOf(long seq, List<Object> failure) {
        return Frames.frame(Frames.UPCALL_FAILED, seq, failure);
    }

    /** {@code t.getMessage()}, or "" when it is null or throws (a Java function's exception is untrusted code). */
    private static String messageOf(Throwable t) {
        try {
            String message = t.getMessage();
            return message == null ? "" : message;
        } catch (Throwable undescribable) {
            return "";
        }
    }

    /** A logging record of the child: {@code [logger, level, message, traceback, origin]}. */
    private void logged(List<?> record) {
        JavaAccess java = request.java();
        try {
            if (java != null) {
                java.log(describe(), String.valueOf(record.get(0)), ((Long) record.get(1)).intValue(), String.valueOf(record.get(2)),
                        String.valueOf(record.get(3)), String.valueOf(record.get(4)));
            }
        } catch (RuntimeException e) {
            // the log failed: logging is never an error for the Python that logged
        }
    }

    /** Java objects the child dropped: services are given back, off the reader thread (framework code). */
    private void released(List<?> refs) {
        List<JavaAccess.Lent> dropped = new ArrayList<>();
        for (Object ref : refs) {
            JavaAccess.Lent l = ref instanceof Long r ? lent.remove(r) : null;
            if (l != null) {
                dropped.add(l);
            }
        }
        if (!dropped.isEmpty()) {
            Thread.ofVirtual().name("pyhost-process-release").start(() -> dropped.forEach(JavaAccess.Lent::release));
        }
    }

    /**
     * At the end, before {@code close()} returns: every service Python registered is unregistered
     * (consumers are told synchronously; a call they make now hears that the context is closed),
     * every lent object given back.
     */
    private void releaseAll() {
        // entry by entry: one added meanwhile is either taken here or, seeing closedBecause, by its adder (never by neither)
        List<Registered> services = new ArrayList<>();
        for (Long token : registered.keySet()) {
            Registered r = registered.remove(token);
            if (r != null) {
                services.add(r);
            }
        }
        List<JavaAccess.Lent> objects = new ArrayList<>();
        for (Long ref : lent.keySet()) {
            JavaAccess.Lent l = lent.remove(ref);
            if (l != null) {
                objects.add(l);
            }
        }
        services.forEach(ProcessContext::unregister);
        objects.forEach(JavaAccess.Lent::release);
    }

    private void outputOrHold(Object which, Level level, String line) {
        synchronized (lock) {
            if (heldOutput != null) { // a pooled child's preload: for the context that adopts it
                heldOutput.add(new Object[] {which, level, line});
                return;
            }
        }
        output(which == Frames.OUT_SINK ? out : err, level, line);
    }

    private void output(Consumer<String> sink, Level level, String line) {
        if (sink != null) {
            try {
                sink.accept(line);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "pyhost: the output sink of " + this + " failed", e);
            }
        } else if (request.java() != null) {
            try {
                request.java().printed(describe(), level == Level.WARNING, line);
            } catch (RuntimeException e) {
                // the log failed: output is never an error for the Python that printed
            }
        } else {
            OUTPUT.log(level, "context {0}: {1}", id(), line);
        }
    }

    /** The longest line of the child's stderr that is logged and kept whole (in bytes); the rest of a longer one is counted, not kept. */
    static final int MAX_STDERR_LINE = 8 << 10;

    /**
     * The child's stderr (C code's fd 1 and 2, Python's own errors), logged line by line and its last
     * lines kept for the closed context's message. Lines are cut at {@link #MAX_STDERR_LINE}: a child
     * writing hundreds of MiB without a newline would otherwise have this JVM build a string of that
     * size (and keep five of them, and repeat them in every later exception), up to an
     * {@code OutOfMemoryError} that ends this thread, after which nothing drains the pipe.
     */
    private void drainStderr() {
        try (java.io.InputStream in = process.getErrorStream()) {
            byte[] buffer = new byte[MAX_STDERR_LINE];
            byte[] chunk = new byte[8192];
            int length = 0;
            long dropped = 0;
            for (int n; (n = in.read(chunk)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    byte b = chunk[i];
                    if (b == '\n') {
                        stderrLine(buffer, length, dropped);
                        length = 0;
                        dropped = 0;
                    } else if (length < buffer.length) {
                        buffer[length++] = b;
                    } else {
                        dropped++;
                    }
                }
            }
            if (length > 0 || dropped > 0) {
                stderrLine(buffer, length, dropped);
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    private void stderrLine(byte[] bytes, int length, long dropped) {
        String line = new String(bytes, 0, length, StandardCharsets.UTF_8);
        if (dropped > 0) {
            line += "... (" + dropped + " more bytes of this line dropped)";
        }
        synchronized (stderrTail) {
            if (stderrTail.size() == 5) {
                stderrTail.removeFirst();
            }
            stderrTail.addLast(line);
        }
        LOG.log(Level.WARNING, "pyhost: {0} wrote to its stderr: {1}", this, line);
    }

    /** Kills the child; the reader then closes the context saying {@code why}. */
    private void kill(String why) {
        synchronized (lock) {
            if (killedBecause == null) {
                killedBecause = why;
            }
        }
        process.destroyForcibly();
    }

    /** After the channel's end: the context is closed with how the child ended, the running call fails with it. */
    private void ended() {
        int exit;
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) { // its stdout closed but it lives on: nothing can reach it
                process.destroyForcibly();
            }
            exit = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            exit = -1;
        }
        if (grouped) {
            // what user code started (no sandbox) ends with the context: it would outlive it, and this JVM
            try {
                Signals.sendGroup(process.pid(), Signals.SIGKILL);
            } catch (RuntimeException e) { // the context must still end below
                LOG.log(Level.WARNING, "pyhost: " + this + ": its child's process group could not be ended", e);
            }
        }
        String how = "its child process " + process.pid() + " " + Signals.describeExit(exit);
        if (killedBecause != null) {
            how = "its child process " + process.pid() + " was killed by pyhost: " + killedBecause;
        } else if (exit == 128 + 24 && request.options().cpuLimit() != null) {
            how += ": the CPU limit of " + request.options().cpuLimit().toMillis() + " ms was reached";
        }
        Call running;
        synchronized (lock) {
            boolean wasOpen = closedBecause == null;
            if (wasOpen) {
                closedBecause = how + stderrTail();
            }
            running = current;
            current = null;
            for (Call c : pending.values()) {
                if (c != running) {
                    c.answer.completeExceptionally(closedException());
                }
            }
            pending.clear();
        }
        releaseAll();
        upcalls.forEach(Thread::interrupt);
        List<CompletableFuture<Object>> unfinished;
        synchronized (tasks) {
            unfinished = new ArrayList<>(tasks.values());
            tasks.clear();
        }
        unfinished.forEach(f -> f.completeExceptionally(closedException()));
        if (!(closedBecause.startsWith("its child process"))) {
            LOG.log(Level.DEBUG, "pyhost: {0} ended ({1})", this, how);
        } else {
            LOG.log(Level.WARNING, "pyhost: {0} is closed: {1}", this, closedBecause);
        }
        if (released.compareAndSet(false, true)) {
            request.closed().run(); // out of the listing before anyone hears of the end
        }
        if (running != null) {
            running.answer.completeExceptionally(closedException());
        }
        slot.release(Integer.MAX_VALUE / 2); // callers waiting for their turn see the closed context
        readerDone.complete(null);
    }

    private String stderrTail() {
        synchronized (stderrTail) {
            return stderrTail.isEmpty() ? "" : " (its last words on stderr: " + String.join(" | ", stderrTail) + ")";
        }
    }

    private void awaitEnd() {
        try {
            readerDone.get(request.closeTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "pyhost: {0} did not end in time", this);
        }
    }
}
