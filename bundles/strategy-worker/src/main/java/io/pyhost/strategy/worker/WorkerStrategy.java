package io.pyhost.strategy.worker;

import org.osgi.service.component.annotations.Component;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.Interpreters;

/**
 * The {@code worker} mode: every context lives in the main interpreter, with globals of its
 * own. {@code sys.modules} and {@code sys.path} are shared by all worker contexts; creation
 * costs a copy of the preloaded namespace. Works on CPython 3.12+ with every extension module.
 */
@Component(property = InterpreterStrategy.MODE + "=" + ContextFactory.WORKER)
public final class WorkerStrategy implements InterpreterStrategy {

    @Override
    public Interpreter open(Interpreters interpreters, ContextOptions options) {
        return interpreters.main();
    }
}
