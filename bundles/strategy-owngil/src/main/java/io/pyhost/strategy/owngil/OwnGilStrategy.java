package io.pyhost.strategy.owngil;

import org.osgi.service.component.annotations.Component;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.Interpreters;
import io.pyhost.spi.PythonVersion;
import io.pyhost.spi.SubInterpreterConfig;

/**
 * The {@code owngil} mode: each context is a sub-interpreter with its own GIL and allocator,
 * so Python code in two contexts runs truly in parallel. Fork and exec are refused, and only
 * extension modules with multi-phase init import (others raise {@code ImportError} inside the
 * context). Contexts are sandboxed unless {@code ContextOptions.withSandbox(false)}. Needs CPython 3.14+: on 3.12 and 3.13 own-GIL interpreters do not scale (measured,
 * see DESIGN.md), so this strategy registers there but refuses to create contexts.
 */
@Component(property = InterpreterStrategy.MODE + "=" + ContextFactory.OWNGIL)
public final class OwnGilStrategy implements InterpreterStrategy {
    static final PythonVersion REQUIRED = new PythonVersion(3, 14, 0);

    @Override
    public Interpreter open(Interpreters interpreters, ContextOptions options) {
        PythonVersion running = interpreters.pythonVersion();
        if (!running.atLeast(REQUIRED.major(), REQUIRED.minor())) {
            throw new IllegalStateException("mode 'owngil' needs CPython " + REQUIRED.major() + "." + REQUIRED.minor()
                    + " or later; this JVM runs CPython " + running);
        }
        return interpreters.newSubInterpreter(SubInterpreterConfig.ISOLATED);
    }

    /** Fork and exec are refused by the interpreter's configuration already; the sandbox adds os.system and spawn. */
    @Override
    public boolean sandboxByDefault() {
        return true;
    }
}
