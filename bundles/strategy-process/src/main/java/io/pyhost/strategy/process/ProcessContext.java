package io.pyhost.strategy.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
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
import io.pyhost.spi.ProvidedContext;

/**
 * One {@code process} context: a child CPython running {@code pyhost_child.py}, driven over its
 * stdin/stdout with {@link Frames}. Calls are serialized by a one-permit semaphore that the
 * reader thread releases when the child answers, so a caller released at its deadline never lets
 * the next call overtake the child's still running one. A call past its deadline gets SIGINT and,
 * if the child has not answered {@link #KILL_GRACE} later, the child is killed. When the child
 * dies, however it dies, the context closes with the reason and the running call fails with it.
 */
final class ProcessContext implements ProvidedContext {
    private static final Logger LOG = System.getLogger(ProcessContext.class.getName());
    private static final Logger OUTPUT = System.getLogger("python.output");

    /** How long a call past its deadline has, after SIGINT, before its child is killed. */
    static final Duration KILL_GRACE = Duration.ofSeconds(1);
    /** How often an interrupt is repeated while its call runs (one SIGINT may land before the call starts, or be caught). */
    static final Duration INTERRUPT_REPEAT = Duration.ofMillis(100);
    /** What a child's start and finish may take beyond the call timeout ({@link #startBound}). */
    static final Duration START_ALLOWANCE = Duration.ofSeconds(10);
    /** The open-file limit of a sandboxed child. */
    static final int SANDBOX_OPEN_FILES = 256;

    /** A call sent to the child, until the child answers it. */
    private static final class Call {
        final long seq;
        final CompletableFuture<Frames.Frame> answer = new CompletableFuture<>();
        final Instant startedAt = Instant.now();
        volatile boolean timedOut;
        volatile boolean interrupted;

        Call(long seq) {
            this.seq = seq;
        }
    }

    private volatile ContextRequest request;               // a warm pool's template until adopted
    private final Process process;
    private final OutputStream toChild;
    private final DataInputStream fromChild;
    private final Semaphore slot = new Semaphore(1, true);
    private final Object lock = new Object();
    private Call current;                                  // guarded by lock
    private long nextSeq = 1;                              // guarded by lock
    private volatile String closedBecause;
    private volatile String killedBecause;                 // why pyhost killed the child, if it did
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicLong calls = new AtomicLong();
    /** Async tasks running on the child's asyncio loop, by id, until their DONE frame. */
    private final Map<Long, CompletableFuture<Object>> tasks = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong nextTask = new AtomicLong(1);
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
            context.send(Frames.START, context.startConfig(), startBound(request), false);
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
        throw new UnsupportedOperationException("mode 'process' has no PyObject handles: values cross the process boundary by the value table only");
    }

    @Override
    public PyObject evalObject(String expression, Map<String, ?> locals) {
        return evalObject(expression);
    }

    @Override
    public CompletableFuture<Object> evalAsync(String expression) {
        checkCode(expression, "expression");
        return task(() -> java.util.Arrays.asList("V", expression));
    }

    @Override
    public CompletableFuture<Object> callAsync(String module, String function, List<?> args, Map<String, ?> kwargs) {
        return task(() -> {
            checkCode(function, "function");
            if (module != null) {
                checkCode(module, "module");
            }
            if (kwargs != null) {
                checkedLocals(kwargs);
            }
            return java.util.Arrays.asList("K", module == null || module.isEmpty() ? null : module, function,
                    args == null ? List.of() : args, kwargs == null ? Map.of() : kwargs);
        });
    }

    /**
     * An async eval or call: sent as one call (bounded by the call timeout, serialized with the
     * others); where its result is awaitable, the child runs it as a task on its asyncio loop (one
     * thread of its own) and answers at once, so that tasks run concurrently, and a {@link Frames#DONE}
     * frame completes the future later. Cancelling the future interrupts the call while it is sent,
     * and cancels the task once it runs. Closing the context fails the tasks still running.
     */
    private CompletableFuture<Object> task(java.util.function.Supplier<List<Object>> what) {
        long id = nextTask.getAndIncrement();
        AtomicBoolean scheduled = new AtomicBoolean(); // the child runs it on its loop
        CompletableFuture<Object> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                if (cancelled) {
                    if (scheduled.get()) {
                        cancelTask(id);
                    } else {
                        interrupt();
                    }
                }
                return cancelled;
            }
        };
        Thread.ofVirtual().name("pyhost-process-" + id() + "-async").start(() -> {
            try {
                List<Object> payload = new ArrayList<>();
                payload.add(id);
                payload.addAll(what.get());
                tasks.put(id, future); // before sending: the task's DONE may come before the answer to ASYNC
                List<?> started = (List<?>) send(Frames.ASYNC, payload, request.callTimeout(), true);
                if (Boolean.TRUE.equals(started.get(0))) {
                    scheduled.set(true);
                    if (future.isCancelled()) { // cancelled while it was being sent: interrupt() found no call to stop
                        cancelTask(id);
                    }
                } else {
                    tasks.remove(id);
                    future.complete(started.get(1));
                }
            } catch (Throwable t) {
                tasks.remove(id);
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    /** Asks the child to cancel task {@code id} (on another thread: a call waits its turn). */
    private void cancelTask(long id) {
        tasks.remove(id);
        Thread.ofVirtual().name("pyhost-process-" + id() + "-cancel").start(() -> {
            try {
                send(Frames.CANCEL, id, request.callTimeout(), false);
            } catch (RuntimeException e) {
                // closed meanwhile: its tasks ended with it
            }
        });
    }

    /** The reader thread: a task's outcome, completed on another thread (the future's callbacks must not hold up the reader). */
    private void taskDone(Frames.Frame frame) {
        CompletableFuture<Object> future = tasks.remove(frame.seq());
        if (future == null) {
            return; // cancelled
        }
        List<?> outcome = (List<?>) frame.value();
        Thread.ofVirtual().name("pyhost-process-" + id() + "-done").start(() -> {
            switch ((String) outcome.get(0)) {
                case "R" -> future.complete(outcome.get(1));
                case "A" -> future.completeExceptionally(new IllegalArgumentException(String.valueOf(outcome.get(1))));
                default -> {
                    List<?> described = (List<?>) outcome.get(1);
                    future.completeExceptionally(new PyException((String) described.get(0), (String) described.get(1),
                            (String) described.get(2), (String) described.get(3), PyException.Kind.GUEST));
                }
            }
        });
    }

    @Override
    public boolean interrupt() {
        Call running;
        synchronized (lock) {
            running = current;
            if (running == null || closedBecause != null) {
                return false;
            }
            running.interrupted = true;
        }
        interruptUntilAnswered(running);
        return true;
    }

    /**
     * Sends SIGINT now and every {@link #INTERRUPT_REPEAT} while {@code call} is unanswered. Sent
     * under the lock that the reader takes to finish a call, so a signal is always pending in the
     * child before the next call can be sent: the child then takes it while idle, and ignores it.
     */
    private void interruptUntilAnswered(Call call) {
        synchronized (lock) {
            if (current != call || closedBecause != null) {
                return;
            }
            Signals.send(process, Signals.SIGINT);
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
        try {
            toChild.close(); // the child's read ends: it exits by itself
        } catch (IOException e) {
            // it is gone already
        }
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

    /** Sends one request and waits for its answer, at most {@code timeout} (null: no bound). */
    private Object send(byte kind, Object value, Duration timeout, boolean counted) {
        byte[] frame = Frames.frame(kind, 0, value); // bad arguments fail here, before anything is sent
        if (closedBecause != null) {
            throw closedException();
        }
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        try {
            if (timeout == null) {
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
                slot.release();
                throw closedException();
            }
            call = new Call(nextSeq++);
            current = call;
        }
        if (counted) {
            calls.incrementAndGet();
        }
        java.nio.ByteBuffer.wrap(frame, 5, 8).putLong(call.seq);
        try {
            toChild.write(frame);
            toChild.flush();
        } catch (IOException e) {
            // the child is gone: the reader closes the context with the reason and fails the call
        }
        Frames.Frame answer = await(call, timeout, deadline);
        return switch (answer.kind()) {
            case Frames.RESULT -> answer.value();
            case Frames.UNCONVERTIBLE -> throw new IllegalArgumentException(String.valueOf(answer.value()));
            default -> throw raised(call, (List<?>) answer.value());
        };
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
        if ("builtins.KeyboardInterrupt".equals(type) && call.interrupted) {
            kind = PyException.Kind.INTERRUPTED;
        } else if ("builtins.MemoryError".equals(type) && request.options().memoryLimit() != null) {
            kind = PyException.Kind.RESOURCE_EXHAUSTED;
        }
        return new PyException(type, (String) described.get(1), (String) described.get(2), (String) described.get(3), kind);
    }

    // ------------------------------------------------------------------ the child's side

    /** The reader thread: answers complete their calls; output lines go to the sinks; the end of the stream is the child's end. */
    private void readAnswers() {
        try {
            while (true) {
                Frames.Frame frame = Frames.read(fromChild);
                switch (frame.kind()) {
                    case Frames.OUT -> outputOrHold(Frames.OUT_SINK, Level.INFO, String.valueOf(frame.value()));
                    case Frames.ERR -> outputOrHold(Frames.ERR_SINK, Level.WARNING, String.valueOf(frame.value()));
                    case Frames.DONE -> taskDone(frame);
                    default -> answer(frame);
                }
            }
        } catch (EOFException e) {
            // the child closed its end: it exited or was killed
        } catch (IOException | RuntimeException e) {
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
        synchronized (lock) {
            call = current;
            if (call == null || call.seq != frame.seq()) {
                LOG.log(Level.WARNING, "pyhost: {0}: an answer to no call (seq {1}) ignored", this, frame.seq());
                return;
            }
            current = null;
        }
        slot.release();
        call.answer.complete(frame);
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
        } else {
            OUTPUT.log(level, "context {0}: {1}", id(), line);
        }
    }

    private void drainStderr() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                synchronized (stderrTail) {
                    if (stderrTail.size() == 5) {
                        stderrTail.removeFirst();
                    }
                    stderrTail.addLast(line);
                }
                LOG.log(Level.WARNING, "pyhost: {0} wrote to its stderr: {1}", this, line);
            }
        } catch (IOException e) {
            // the child is gone
        }
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
        }
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
        for (Long task : List.copyOf(tasks.keySet())) {
            CompletableFuture<Object> future = tasks.remove(task);
            if (future != null) {
                future.completeExceptionally(closedException());
            }
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
