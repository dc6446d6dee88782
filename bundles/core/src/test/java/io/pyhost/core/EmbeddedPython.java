package io.pyhost.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.bridge.PythonRuntime;
import io.pyhost.python.DistributionCache;
import io.pyhost.python.PythonInstallation;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.SubInterpreterConfig;

/**
 * The real embedded CPython for core's unit tests, outside OSGi: unpacked once per machine by
 * {@code pyhost-python}'s cache, started once per test JVM. The three strategies are the same
 * one-liners the strategy bundles register.
 */
final class EmbeddedPython {
    static final InterpreterStrategy WORKER = (interpreters, options) -> interpreters.main();
    static final InterpreterStrategy SUBINTERP = (interpreters, options) -> interpreters.newSubInterpreter(SubInterpreterConfig.LEGACY);
    static final InterpreterStrategy OWNGIL = new InterpreterStrategy() {
        @Override
        public io.pyhost.spi.Interpreter open(io.pyhost.spi.Interpreters interpreters, ContextOptions options) {
            return interpreters.newSubInterpreter(SubInterpreterConfig.ISOLATED);
        }

        @Override
        public boolean sandboxByDefault() {
            return true;
        }
    };
    static final List<String> MODES = List.of(ContextFactory.WORKER, ContextFactory.SUBINTERP, ContextFactory.OWNGIL);

    private EmbeddedPython() {
    }

    private static PythonInstallation python;

    /** The runtime; the distribution is located once per test JVM. */
    static synchronized PythonRuntime runtime() {
        try {
            if (python == null) {
                python = DistributionCache.embeddedFromClasspath(null);
            }
            return PythonRuntime.start(python.home(), python.library());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InterpreterStrategy strategy(String mode) {
        return switch (mode) {
            case ContextFactory.WORKER -> WORKER;
            case ContextFactory.SUBINTERP -> SUBINTERP;
            case ContextFactory.OWNGIL -> OWNGIL;
            default -> throw new IllegalArgumentException(mode);
        };
    }

    /** A context of {@code mode} made by {@code engine}. */
    static PyContext create(ContextEngine engine, String mode) {
        return create(engine, ContextOptions.mode(mode));
    }

    static PyContext create(ContextEngine engine, ContextOptions options) {
        return engine.create(options.mode(), strategy(options.mode()), options.mode(), options);
    }
}
