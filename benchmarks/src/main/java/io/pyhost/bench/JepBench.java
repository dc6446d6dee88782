package io.pyhost.bench;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.ContextFactory;
import io.pyhost.api.ContextInfo;
import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.jep.internal.Contexts;
import jep.SharedInterpreter;

/**
 * Jep's API on pyhost (issue 16): one small round trip through {@code SharedInterpreter.getValue}
 * beside pyhost's own {@code PyContext.eval} of the same expression in a worker context, so the
 * cost of Jep's layer (its value envelopes, the call into the interpreter's {@code __jep__}
 * bridge) shows directly:
 * <ul>
 * <li>{@code jepGetValue}: {@code interp.getValue("x + 1")};
 * <li>{@code jepGetValueTyped}: {@code interp.getValue("x + 1", Integer.class)};
 * <li>{@code pyhostEval}: {@code ctx.eval("x + 1")} (worker, sandbox off, as Jep's contexts are).
 * </ul>
 * Outside OSGi pyhost-jep gets its ContextFactory from {@link Contexts#use}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class JepBench {
    private ContextEngine engine;
    private SharedInterpreter interp;
    private PyContext ctx;

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(null);
        Contexts.use(new ContextFactory() {
            @Override
            public PyContext create(ContextOptions options) {
                return Pyhost.create(engine, options);
            }

            @Override
            public Set<String> modes() {
                return Set.copyOf(Pyhost.MODES);
            }

            @Override
            public List<ContextInfo> contexts() {
                return List.of();
            }
        });
        interp = new SharedInterpreter();
        interp.set("x", 41);
        Pyhost.check(42L, interp.getValue("x + 1"), "interp.getValue(\"x + 1\")");
        ctx = Pyhost.create(engine, ContextOptions.mode("worker").withSandbox(false));
        ctx.exec("x = 41");
        Pyhost.check(42L, ctx.eval("x + 1"), "ctx.eval(\"x + 1\")");
    }

    @TearDown(Level.Trial)
    public void close() {
        interp.close();
        ctx.close();
        Contexts.use(null);
        engine.closeAll("benchmark ended");
    }

    @Benchmark
    public Object jepGetValue() {
        return interp.getValue("x + 1");
    }

    @Benchmark
    public Integer jepGetValueTyped() {
        return interp.getValue("x + 1", Integer.class);
    }

    @Benchmark
    public Object pyhostEval() {
        return ctx.eval("x + 1");
    }
}
