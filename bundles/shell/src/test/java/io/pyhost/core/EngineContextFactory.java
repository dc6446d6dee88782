package io.pyhost.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextInfo;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.python.DistributionCache;
import io.pyhost.python.PythonInstallation;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.Interpreters;
import io.pyhost.spi.SubInterpreterConfig;

/**
 * A real {@link ContextFactory} for the shell's unit tests, outside OSGi: core's plain-Java
 * {@link ContextEngine} on the embedded CPython of {@code pyhost-python}, with a real
 * {@link PreloadRegistry} as the preload service, as core's own tests build it. The three
 * strategies are the one-liners the strategy bundles register; a test can take a mode away
 * and give it back, as a strategy bundle stopping and starting would.
 *
 * <p>It lives in core's package (in the shell's <em>test</em> sources only) for one reason:
 * {@link #contexts()} reports each context's {@code PythonContext.info(...)}, as
 * {@code PythonContextFactory} does, and that method is package-private.
 */
public final class EngineContextFactory implements ContextFactory, AutoCloseable {
    private static final InterpreterStrategy WORKER_STRATEGY = (interpreters, options) -> interpreters.main();
    private static final InterpreterStrategy SUBINTERP_STRATEGY = (interpreters, options) -> interpreters.newSubInterpreter(SubInterpreterConfig.LEGACY);
    private static final InterpreterStrategy OWNGIL_STRATEGY = new InterpreterStrategy() {
        @Override
        public Interpreter open(Interpreters interpreters, ContextOptions options) {
            return interpreters.newSubInterpreter(SubInterpreterConfig.ISOLATED);
        }

        @Override
        public boolean sandboxByDefault() {
            return true; // as the owngil strategy bundle
        }
    };

    private static PythonInstallation python; // located once per test JVM

    private final PreloadRegistry preload = new PreloadRegistry();
    private final ContextEngine engine = new ContextEngine(runtime(), preload, null);
    private final Map<String, Registered> strategies = new LinkedHashMap<>(); // guarded by this
    private long nextServiceId = 1;                                          // guarded by this

    /** A strategy as core binds it: the owner of its contexts is its registration (a service id), never reused. */
    private record Registered(InterpreterStrategy strategy, Long serviceId) {
    }

    /** A factory with the worker, subinterp and owngil modes. */
    public EngineContextFactory() {
        for (String mode : List.of(WORKER, SUBINTERP, OWNGIL)) {
            restore(mode);
        }
    }

    /** The real embedded CPython, started once per JVM. */
    public static synchronized PythonRuntime runtime() {
        try {
            if (python == null) {
                python = DistributionCache.embeddedFromClasspath(null);
            }
            return PythonRuntime.start(python.home(), python.library());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The preload service the engine reads (the real registry core registers as PreloadService). */
    public PreloadRegistry preload() {
        return preload;
    }

    @Override
    public PyContext create(ContextOptions options) {
        Objects.requireNonNull(options, "options");
        Registered registered;
        synchronized (this) {
            registered = strategies.get(options.mode());
            if (registered == null) { // PythonContextFactory's message when no strategy is waited for
                throw new IllegalArgumentException("no strategy for mode '" + options.mode() + "'; modes present: "
                        + (strategies.isEmpty() ? "none" : new TreeSet<>(strategies.keySet())));
            }
        }
        return engine.create(options.mode(), registered.strategy(), registered.serviceId(), options);
    }

    @Override
    public synchronized Set<String> modes() {
        return Set.copyOf(strategies.keySet());
    }

    @Override
    public List<ContextInfo> contexts() {
        return engine.contexts().stream().map(c -> ((PythonContext) c).info("service:" + ((PythonContext) c).owner()))
                .sorted(Comparator.comparingLong(ContextInfo::id)).toList();
    }

    /** The open contexts themselves. */
    public List<PyContext> open() {
        return engine.contexts();
    }

    /** Takes {@code mode} away and closes its contexts, as core does when a strategy bundle stops. */
    public void withdraw(String mode) {
        Registered registered;
        synchronized (this) {
            registered = strategies.remove(mode);
        }
        if (registered != null) {
            engine.closeOwnedBy(registered.serviceId(), "its strategy for mode '" + mode + "' left");
        }
    }

    /** Gives {@code mode} back, as a new registration of its strategy. */
    public synchronized void restore(String mode) {
        InterpreterStrategy strategy = switch (mode) {
            case WORKER -> WORKER_STRATEGY;
            case SUBINTERP -> SUBINTERP_STRATEGY;
            case OWNGIL -> OWNGIL_STRATEGY;
            default -> throw new IllegalArgumentException(mode);
        };
        strategies.put(mode, new Registered(strategy, nextServiceId++));
    }

    /** Closes every context; CPython stays initialized for the next test. */
    @Override
    public void close() {
        engine.closeAll("test ended");
    }
}
