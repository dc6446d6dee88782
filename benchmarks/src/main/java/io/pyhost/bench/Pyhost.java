package io.pyhost.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.core.PreloadRegistry;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.python.DistributionCache;
import io.pyhost.python.PythonInstallation;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.strategy.owngil.OwnGilStrategy;
import io.pyhost.strategy.subinterp.SubinterpStrategy;
import io.pyhost.strategy.worker.WorkerStrategy;

/**
 * pyhost outside OSGi, as the benchmarks use it: the embedded CPython from pyhost-python's cache,
 * core's {@link ContextEngine} and the three strategy components of the strategy bundles. The path
 * from {@code PyContext} to libpython is the one the OSGi container runs; only service lookup is
 * left out.
 */
public final class Pyhost {
    public static final List<String> MODES = List.of("worker", "subinterp", "owngil");

    private static final Map<String, InterpreterStrategy> STRATEGIES = Map.of(
            "worker", new WorkerStrategy(),
            "subinterp", new SubinterpStrategy(),
            "owngil", new OwnGilStrategy());

    private static PythonInstallation installation;

    private Pyhost() {
    }

    /** The embedded CPython, unpacked once per machine (~/.cache/pyhost/python). */
    public static synchronized PythonInstallation installation() {
        if (installation == null) {
            try {
                installation = DistributionCache.embeddedFromClasspath(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return installation;
    }

    /** The CPython runtime of this JVM, started on first use. */
    public static PythonRuntime runtime() {
        PythonInstallation python = installation();
        return PythonRuntime.start(python.home(), python.library());
    }

    /** An engine whose application preload is {@code preloadCode} (null: none). */
    public static ContextEngine engine(String preloadCode) {
        PreloadRegistry preload = new PreloadRegistry();
        if (preloadCode != null) {
            preload.setCode(preloadCode);
        }
        return new ContextEngine(runtime(), preload, null);
    }

    public static InterpreterStrategy strategy(String mode) {
        InterpreterStrategy strategy = STRATEGIES.get(mode);
        if (strategy == null) {
            throw new IllegalArgumentException("unknown mode '" + mode + "'; modes: " + MODES);
        }
        return strategy;
    }

    /** A context of {@code mode}, with the strategy object as its owner (as the factory does). */
    public static PyContext create(ContextEngine engine, String mode) {
        InterpreterStrategy strategy = strategy(mode);
        return engine.create(mode, strategy, strategy, ContextOptions.mode(mode));
    }

    /** A context made with {@code options}. */
    public static PyContext create(ContextEngine engine, ContextOptions options) {
        InterpreterStrategy strategy = strategy(options.mode());
        return engine.create(options.mode(), strategy, strategy, options);
    }

    /** Keeps {@code size} prepared interpreters of {@code mode} ready. */
    public static void warmPool(ContextEngine engine, String mode, int size) {
        InterpreterStrategy strategy = strategy(mode);
        engine.setWarmPools(List.of(engine.warmPool(mode, strategy, strategy, size)));
    }

    /** Waits until the pool of {@code mode} holds {@code size} interpreters (at most 60 s). */
    public static void awaitPool(ContextEngine engine, String mode, int size) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (engine.warmPoolReady(strategy(mode)) < size) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the warm pool of " + mode + " did not fill within 60 s");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Fails when a benchmark's Python answered something else than expected (a broken run must not time well). */
    public static void check(Object expected, Object actual, String what) {
        if (!expected.equals(actual)) {
            throw new IllegalStateException(what + ": expected " + expected + ", got " + actual);
        }
    }
}
