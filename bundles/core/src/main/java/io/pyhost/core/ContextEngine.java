package io.pyhost.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.api.PyContext;
import io.pyhost.core.bridge.Namespace;
import io.pyhost.core.bridge.PyRef;
import io.pyhost.core.bridge.PythonInterpreter;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;

/**
 * Makes contexts: opens an interpreter through a strategy, applies the preload in it, gives
 * the context its copy of the preloaded globals, and keeps track of every open context.
 * Plain Java (no OSGi), so the whole path from Java to CPython is testable without a framework.
 *
 * <p>The main interpreter keeps one preloaded namespace per preload version: a second worker
 * context copies it instead of running the preload again. A sub-interpreter runs the preload
 * itself, once, for its one context.
 */
public final class ContextEngine {
    private final PythonRuntime runtime;
    private final PreloadRegistry preload;
    private static final System.Logger LOG = System.getLogger(ContextEngine.class.getName());
    private volatile Duration defaultCallTimeout;
    private volatile Duration closeTimeout = io.pyhost.core.bridge.SubInterpreter.CLOSE_BOUND;
    private final Set<PythonContext> open = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.locks.ReentrantLock mainPreloadLock = new java.util.concurrent.locks.ReentrantLock(); // before the GIL, never inside it
    private long mainPreloadVersion = -1;
    private PyRef mainPreload;                           // owned; guarded by mainPreloadLock
    private volatile PreloadHost mainPreloadHost;        // what that preload registered; written under mainPreloadLock
    /** Sub-interpreters' preload hosts, until their context takes them over. */
    private final Map<PythonInterpreter, PreloadHost> subPreloadHosts = new ConcurrentHashMap<>();
    private final WarmPool pool;
    private final Runnable preloadChanged;
    /** Owners whose contexts were closed (their strategy left), and why; a creation racing it is undone. */
    private final Map<Object, String> retired = new ConcurrentHashMap<>();
    private volatile String closedBecause;
    private final ProvidedContexts provided = new ProvidedContexts();
    private volatile java.nio.file.Path pythonHome;
    private volatile java.nio.file.Path pythonLibrary;

    /** An interpreter and the globals prepared in it (owned), not yet a context. */
    record Opened(PythonInterpreter interpreter, PyRef globals) {
    }

    /** A context's globals (owned) and, in worker mode with the sandbox on, the set of sandboxed threads (the sandbox's). */
    private record Finished(PyRef globals, PyRef sandboxThreads) {
    }

    public ContextEngine(PythonRuntime runtime, PreloadRegistry preload, Duration defaultCallTimeout) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.preload = Objects.requireNonNull(preload, "preload");
        this.defaultCallTimeout = defaultCallTimeout;
        this.pool = new WarmPool(preload::version, this::discard);
        this.preloadChanged = () -> {
            pool.signal();
            providedPools.forEach(this::tellProvider); // a provider ends what it prepared for the old preload
            PreloadHost host = mainPreloadHost;
            if (host != null) {
                // services the old main preload registered leave with it now (no GIL needed); their
                // Python objects are released when the next worker context builds the new preload
                io.pyhost.core.interop.PythonServices.shared().unregisterAll(host);
            }
        };
        preload.addChangeListener(preloadChanged);
    }

    /** How long closing a context may take before its interpreter is abandoned; reaches new contexts only. */
    public void setCloseTimeout(Duration timeout) {
        this.closeTimeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The distribution CPython was started from, for strategies that start a CPython of their own ({@code process}). */
    public void setPythonInstallation(java.nio.file.Path home, java.nio.file.Path library) {
        this.pythonHome = home;
        this.pythonLibrary = library;
    }

    /** How many platform threads may run handed-off worker-mode calls at once. */
    public void setMainLanes(int lanes) {
        runtime.main().setMaxLanes(lanes);
    }

    /** The bound of calls whose options name none; null for none. Reaches new contexts only. */
    public void setDefaultCallTimeout(Duration timeout) {
        this.defaultCallTimeout = timeout;
    }

    /**
     * Keeps {@code size} interpreters of {@code strategy} ready for {@code mode} (0: none); replaces
     * every earlier setting. Only sub-interpreter modes profit: the main interpreter is always ready.
     */
    public void setWarmPools(List<WarmPool.Target> targets) {
        pool.setTargets(targets);
    }

    /** The warm pools of {@link io.pyhost.spi.ContextProvider} strategies: provider to (mode, size). */
    private final Map<io.pyhost.spi.ContextProvider, Map.Entry<String, Integer>> providedPools = new ConcurrentHashMap<>();

    /**
     * Sets the warm pools that {@link io.pyhost.spi.ContextProvider} strategies keep themselves
     * ({@code provider -> (mode, size)}); replaces every earlier setting: a provider no longer named is told 0.
     */
    public void setProvidedWarmPools(Map<io.pyhost.spi.ContextProvider, Map.Entry<String, Integer>> pools) {
        Map<io.pyhost.spi.ContextProvider, Map.Entry<String, Integer>> before = new java.util.HashMap<>(providedPools);
        providedPools.keySet().retainAll(pools.keySet());
        providedPools.putAll(pools);
        before.forEach((provider, target) -> {
            if (!pools.containsKey(provider)) {
                tellProvider(provider, Map.entry(target.getKey(), 0));
            }
        });
        pools.forEach((provider, target) -> {
            if (!target.equals(before.get(provider))) {
                tellProvider(provider, target);
            }
        });
    }

    private void tellProvider(io.pyhost.spi.ContextProvider provider, Map.Entry<String, Integer> target) {
        String mode = target.getKey();
        try {
            provider.warmPool(target.getValue(), () -> provided.template(mode, provider, preload.snapshot(), pythonHome, pythonLibrary,
                    runtime.pythonVersion(), defaultCallTimeout, closeTimeout));
        } catch (RuntimeException e) {
            System.getLogger(ContextEngine.class.getName()).log(System.Logger.Level.WARNING,
                    "pyhost: the strategy for mode '" + mode + "' failed to set its warm pool", e);
        }
    }

    /** A target for {@link #setWarmPools}. */
    public WarmPool.Target warmPool(String mode, InterpreterStrategy strategy, Object owner, int size) {
        ContextOptions options = ContextOptions.mode(mode);
        return new WarmPool.Target(mode, owner, size, () -> {
            PythonInterpreter interpreter = open(mode, strategy, options);
            PreloadSnapshot snapshot = preload.snapshot();
            return new Opened(interpreter, prepareOrClose(interpreter, in -> shared(in, snapshot)));
        });
    }

    /** How many pooled interpreters {@code owner} has ready. */
    public int warmPoolReady(Object owner) {
        return pool.readyCount(owner);
    }

    /**
     * Creates a context with {@code strategy}; {@code owner} is remembered so that
     * {@link #closeOwnedBy} can close the strategy's contexts when it leaves.
     */
    public PyContext create(String mode, InterpreterStrategy strategy, Object owner, ContextOptions options) {
        if (options.preload() != null && options.preload().indexOf('\0') >= 0) {
            throw new IllegalArgumentException("context preload contains a NUL character");
        }
        PreloadSnapshot snapshot = preload.snapshot();
        if (strategy instanceof io.pyhost.spi.ContextProvider provider) {
            return createProvided(mode, provider, owner, options, snapshot);
        }
        if (options.cpuLimit() != null) {
            throw new IllegalArgumentException("cpuLimit needs a context in its own process (mode 'process'); mode '" + mode
                    + "' runs in this JVM's process, whose CPU time cannot be told apart per context");
        }
        boolean sandbox = options.sandbox() != null ? options.sandbox() : strategy.sandboxByDefault();
        Opened pooled = pool.take(owner, snapshot.version());
        PythonInterpreter interpreter = pooled != null ? pooled.interpreter() : open(mode, strategy, options);
        if (options.memoryLimit() != null) {
            limitMemory(mode, interpreter, pooled, options.memoryLimit());
        }
        Finished finished;
        PreloadHost ownPreload = new PreloadHost(interpreter, () -> defaultCallTimeout); // what ContextOptions.preload registers
        if (interpreter.isMain()) {
            mainPreloadLock.lock();
            try {
                finished = prepareOrClose(interpreter, in -> finish(in, shared(in, snapshot), options.preload(), sandbox, ownPreload));
            } finally {
                mainPreloadLock.unlock();
            }
        } else {
            PyRef ready = pooled != null ? pooled.globals() : null;
            finished = prepareOrClose(interpreter,
                    in -> finish(in, ready != null ? ready : shared(in, snapshot), options.preload(), sandbox, ownPreload));
        }
        Duration timeout = options.callTimeout() != null ? options.callTimeout() : defaultCallTimeout;
        PythonContext context = new PythonContext(mode, interpreter, finished.globals(), timeout, owner,
                finished.sandboxThreads(), closeTimeout, this::closed, options.output(), options.errorOutput());
        ownPreload.handTo(context);
        if (!interpreter.isMain()) {
            PreloadHost preloadHost = subPreloadHosts.remove(interpreter);
            if (preloadHost != null) {
                preloadHost.handTo(context);
            }
            io.pyhost.core.interop.PyhostModule.setInterpreterHost(interpreter, context); // its Python threads register for it
        }
        open.add(context);
        String gone = closedBecause != null ? closedBecause : retired.get(owner);
        if (gone != null) { // closeAll or closeOwnedBy ran while this context was being made
            context.close(gone);
            throw new IllegalStateException("context " + context.id() + " (" + mode + ") was closed as it was created: " + gone);
        }
        return context;
    }

    /** A context made by the strategy itself ({@link io.pyhost.spi.ContextProvider}); core keeps the books. */
    private PyContext createProvided(String mode, io.pyhost.spi.ContextProvider provider, Object owner, ContextOptions options,
            PreloadSnapshot snapshot) {
        long id = PythonContext.newId();
        io.pyhost.spi.ProvidedContext context;
        try {
            context = provided.create(id, mode, provider, owner, options, snapshot, pythonHome, pythonLibrary,
                    runtime.pythonVersion(), options.callTimeout() != null ? options.callTimeout() : defaultCallTimeout, closeTimeout);
        } catch (RuntimeException e) {
            String gone = closedBecause != null ? closedBecause : retired.get(owner);
            if (gone == null) {
                throw e;
            }
            // The strategy left (or core stopped) while it was making the context, which then failed for that reason (a
            // process strategy's child ends with its spawner thread): the caller learns the reason, as below.
            throw new IllegalStateException("context " + id + " (" + mode + ") was closed as it was created: " + gone, e);
        }
        String gone = closedBecause != null ? closedBecause : retired.get(owner);
        if (gone != null) { // closeAll or closeOwnedBy ran while this context was being made
            context.close(gone);
            throw new IllegalStateException("context " + context.id() + " (" + mode + ") was closed as it was created: " + gone);
        }
        return context;
    }

    /** Caps a sub-interpreter with its own allocator, or refuses (closing what was opened). */
    private void limitMemory(String mode, PythonInterpreter interpreter, Opened pooled, long bytes) {
        if (interpreter instanceof io.pyhost.core.bridge.SubInterpreter sub && sub.ownAllocator()) {
            try {
                sub.limitMemory(bytes, runtime.pythonVersion());
                return;
            } catch (RuntimeException e) {
                if (pooled != null) {
                    discard(pooled);
                } else {
                    interpreter.close();
                }
                throw e;
            }
        }
        if (pooled != null) {
            discard(pooled);
        } else {
            interpreter.close();
        }
        throw new IllegalArgumentException("memoryLimit needs an interpreter with its own allocator (mode 'owngil') or its own process (mode 'process'); mode '"
                + mode + "' shares the main interpreter's, whose memory cannot be told apart per context");
    }

    private PythonInterpreter open(String mode, InterpreterStrategy strategy, ContextOptions options) {
        Interpreter opened = strategy.open(runtime, options);
        if (!(opened instanceof PythonInterpreter interpreter)) {
            if (opened != null) {
                opened.close();
            }
            throw new IllegalStateException("the strategy for mode '" + mode + "' returned " + opened
                    + ", not an interpreter made by pyhost core");
        }
        return interpreter;
    }

    /** Runs a preparation; on failure a sub-interpreter is ended on its own thread. */
    private static <T> T prepareOrClose(PythonInterpreter interpreter, io.pyhost.core.bridge.GilTask<T> task) {
        try {
            return interpreter.call(task);
        } catch (RuntimeException e) {
            interpreter.close(); // a half-made sub-interpreter is ended; the main interpreter is left alone
            throw e;
        }
    }

    /** Closes a pooled interpreter that will never become a context. */
    private void discard(Opened opened) {
        try {
            opened.interpreter().call(in -> {
                opened.globals().close();
                return null;
            });
        } finally {
            opened.interpreter().close();
        }
    }

    /** GIL held: a new reference to a fresh copy of the shared preload namespace. */
    private PyRef shared(PythonInterpreter in, PreloadSnapshot snapshot) {
        io.pyhost.core.interop.PyhostModule.ensure(in); // `import pyhost` works from the preload on
        try (PyRef image = in.isMain() ? mainImage(in, snapshot) : buildImage(in, snapshot, subPreloadHost(in))) {
            return in.callHelper("copy_namespace", List.of(image));
        }
    }

    /**
     * GIL held: makes {@code globals} (owned; released on failure) the context's. The shared
     * preload ran unsandboxed (it is the application's own code); the sandbox, if asked for,
     * covers the context preload and every later call.
     */
    private static Finished finish(PythonInterpreter in, PyRef globals, String contextPreload, boolean sandbox,
            PreloadHost host) {
        try {
            PyRef threads = sandbox ? Sandbox.install(in, !in.isMain()) : null;
            if (contextPreload != null && !contextPreload.isEmpty()) {
                boolean entered = threads != null && Sandbox.enter(in, threads);
                try {
                    io.pyhost.core.interop.PythonHost.with(host, () -> {
                        // file name "context": a traceback says the error came from ContextOptions.preload
                        Namespace.execFile(globals, contextPreload, Fragment.CONTEXT);
                        return null;
                    });
                } finally {
                    if (entered) {
                        Sandbox.leave(in, threads);
                    }
                }
            }
            return new Finished(globals, threads);
        } catch (RuntimeException e) {
            io.pyhost.core.interop.PythonServices.shared().endAll(host); // a context that is not made owns nothing
            globals.close();
            throw e;
        }
    }

    /** The host of what a sub-interpreter's preload registers; its services end with the interpreter at the latest. */
    private PreloadHost subPreloadHost(PythonInterpreter in) {
        PreloadHost host = new PreloadHost(in, () -> defaultCallTimeout);
        subPreloadHosts.put(in, host);
        in.ended().thenRun(() -> {
            subPreloadHosts.remove(in);
            io.pyhost.core.interop.PythonServices.shared().forgetAll(host);
            io.pyhost.core.interop.PyhostModule.setInterpreterHost(in, null);
        });
        return host;
    }

    /** The main interpreter's namespace for this version, built at most once per version. */
    private PyRef mainImage(PythonInterpreter in, PreloadSnapshot snapshot) {
        if (mainPreload == null || mainPreloadVersion != snapshot.version()) {
            PreloadHost host = new PreloadHost(in, () -> defaultCallTimeout);
            PyRef built = buildImage(in, snapshot, host);
            if (mainPreload != null) {
                mainPreload.close(); // functions of contexts made from it keep it alive as their globals
            }
            if (mainPreloadHost != null) {
                io.pyhost.core.interop.PythonServices.shared().endAll(mainPreloadHost); // the old preload's services leave with it
            }
            mainPreload = built;
            mainPreloadHost = host;
            mainPreloadVersion = snapshot.version();
        }
        return mainPreload.newReference();
    }

    /** Runs the shared preload in {@code in}; what it registers as services belongs to {@code host}. */
    private PyRef buildImage(PythonInterpreter in, PreloadSnapshot snapshot, PreloadHost host) {
        return io.pyhost.core.interop.PythonHost.with(host, () -> buildImage(in, snapshot));
    }

    private PyRef buildImage(PythonInterpreter in, PreloadSnapshot snapshot) {
        List<List<String>> fragments = new ArrayList<>();
        for (Fragment f : snapshot.fragments()) {
            fragments.add(List.of(f.origin(), f.code()));
        }
        return in.callHelper("build_preload", List.of(snapshot.paths(), snapshot.imports(), fragments));
    }

    /**
     * A context was closed: it leaves the list once its globals and interpreter are released; one
     * that could not be released within the close timeout stays listed (as abandoned) until then.
     */
    private void closed(PythonContext context) {
        if (context.released().isDone()) {
            open.remove(context);
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "pyhost: context {0} ({1}) could not end within {2} ms (a call or a Python thread "
                + "is stuck in C code); abandoned until it can", context.id(), context.mode(), closeTimeout.toMillis());
        context.released().thenRun(() -> {
            open.remove(context);
            LOG.log(System.Logger.Level.INFO, "pyhost: abandoned context {0} ({1}) ended", context.id(), context.mode());
        });
    }

    /** Closes every context {@code owner} opened, telling later callers why; returns how many. */
    public int closeOwnedBy(Object owner, String reason) {
        retired.put(owner, reason);
        List<PythonContext> owned = open.stream().filter(c -> owner.equals(c.owner()) && !c.isClosed()).toList();
        List<io.pyhost.spi.ProvidedContext> ownedProvided = provided.ownedBy(owner);
        closeTogether(owned, ownedProvided, reason);
        return owned.size() + ownedProvided.size();
    }

    /**
     * Closes contexts at the same time, so that a strategy or core stop takes one close timeout at
     * most, not one per stuck context.
     */
    private static void closeTogether(List<PythonContext> contexts, List<io.pyhost.spi.ProvidedContext> providedContexts, String reason) {
        if (contexts.size() + providedContexts.size() <= 1) {
            contexts.forEach(c -> c.close(reason));
            providedContexts.forEach(c -> c.close(reason));
            return;
        }
        try (var closers = java.util.concurrent.Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("pyhost-close-", 0).factory())) {
            for (PythonContext context : contexts) {
                closers.execute(() -> context.close(reason));
            }
            for (io.pyhost.spi.ProvidedContext context : providedContexts) {
                closers.execute(() -> context.close(reason));
            }
        } // waits for every close; each is bounded by its close timeout
    }

    /** Closes every context and pooled interpreter and drops the main interpreter's preloaded namespace. */
    public void closeAll(String reason) {
        closedBecause = reason;
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        preload.removeChangeListener(preloadChanged);
        pool.stop();
        closeTogether(open.stream().filter(c -> !c.isClosed()).toList(),
                provided.all().stream().filter(c -> !c.isClosed()).toList(), reason);
        try {
            // a worker create waiting for a main GIL held by C code holds this lock: do not wait past the bound
            if (!mainPreloadLock.tryLock(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                return; // the namespace stays referenced; CPython outlives this engine anyway
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            PyRef image = mainPreload;
            PreloadHost host = mainPreloadHost;
            mainPreload = null;
            mainPreloadHost = null;
            if (host != null) {
                io.pyhost.core.interop.PythonServices.shared().unregisterAll(host); // no GIL held: consumers are told now
            }
            if (image != null) {
                try { // bounded: a worker call stuck in C holds the main GIL for as long as it runs
                    runtime.main().call(null, Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())), in -> {
                        if (host != null) {
                            io.pyhost.core.interop.PythonServices.shared().endAll(host);
                        }
                        image.close();
                        return null;
                    });
                } catch (PythonInterpreter.CallTimeoutException | IllegalStateException late) {
                    // released once the GIL is free (the release stays queued), or never if the runtime stops first
                }
            }
        } finally {
            mainPreloadLock.unlock();
        }
    }

    /** The contexts open now: core's own, then those strategies made. */
    public List<PyContext> contexts() {
        List<PyContext> all = new ArrayList<>(open);
        all.addAll(provided.all());
        return List.copyOf(all);
    }

    /** Who opened a context a strategy made (its owner as given to {@link #create}); null for core's own contexts. */
    Object providedOwner(PyContext context) {
        return provided.owner(context);
    }
}
