package io.pyhost.strategy.subinterp;

import org.osgi.service.component.annotations.Component;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextOptions;
import io.pyhost.spi.Interpreter;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.Interpreters;
import io.pyhost.spi.SubInterpreterConfig;

/**
 * The {@code subinterp} mode: each context is a sub-interpreter of its own, with its own
 * {@code sys.modules} and {@code sys.path}, sharing the main GIL. The legacy configuration lets
 * extension modules that are not isolation-ready import wherever CPython allows it. Creation
 * costs a new interpreter (tens of ms) plus the preload's run.
 */
@Component(property = InterpreterStrategy.MODE + "=" + ContextFactory.SUBINTERP)
public final class SubinterpStrategy implements InterpreterStrategy {

    @Override
    public Interpreter open(Interpreters interpreters, ContextOptions options) {
        return interpreters.newSubInterpreter(SubInterpreterConfig.LEGACY);
    }
}
