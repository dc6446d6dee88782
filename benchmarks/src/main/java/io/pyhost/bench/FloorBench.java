package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * The floor: the Python work of {@link SmallCallBench} timed inside CPython with {@code timeit},
 * in the same embedded interpreter and mode, with no Java in between. One invocation is one call
 * into the context that runs {@code timeit} for N operations; the figure is the time of one
 * operation (the one crossing from Java is spread over N). pyhost's overhead per call is the
 * SmallCallBench figure minus this one.
 *
 * <ul>
 * <li>{@code evalCached}: {@code eval(code, g)} of a code object compiled once from {@code "x + 1"}
 * (what pyhost does with a cached source).
 * <li>{@code evalNewSource}: {@code eval(compile("x + <n>", ...), g)} with a new n every time.
 * <li>{@code callSqrt}: {@code math.sqrt(16.0)}.
 * </ul>
 * The context has no sandbox (owngil's default has one): its audit hook would run on every
 * {@code eval()} and {@code compile()} of the timed loop, which pyhost's calls from C never trigger.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Benchmark)
public class FloorBench {
    static final int CHEAP = 20_000;
    static final int COMPILING = 1_000;

    static final String TIMERS = """
            import itertools
            import math
            import timeit

            x = 1
            _g = globals()
            _numbers = itertools.count()
            _cached = timeit.Timer('eval(c, g)', globals={'c': compile('x + 1', '<floor>', 'eval'), 'g': _g})
            _new_source = timeit.Timer("eval(compile('x + %d' % next(k), '<floor>', 'eval'), g)",
                                       globals={'k': _numbers, 'g': _g})
            _sqrt = timeit.Timer('math.sqrt(16.0)', globals={'math': math})

            def floor(timer, n):
                return {'cached': _cached, 'new_source': _new_source, 'sqrt': _sqrt}[timer].timeit(n)
            """;

    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    private ContextEngine engine;
    private PyContext ctx;

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(null);
        // no sandbox: its audit hook would run Python on every eval()/compile() inside the timed
        // loop, which pyhost's own calls from C do not trigger, and inflate the floor
        ctx = Pyhost.create(engine, io.pyhost.api.ContextOptions.mode(mode).withSandbox(false));
        ctx.exec(TIMERS);
        for (String timer : List.of("cached", "new_source", "sqrt")) {
            if (!(ctx.call("", "floor", List.of(timer, 10), null) instanceof Double)) {
                throw new IllegalStateException("timeit did not run for " + timer);
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        engine.closeAll("benchmark ended");
    }

    @Benchmark
    @OperationsPerInvocation(CHEAP)
    public Object evalCached() {
        return ctx.call("", "floor", List.of("cached", CHEAP), null);
    }

    @Benchmark
    @OperationsPerInvocation(COMPILING)
    public Object evalNewSource() {
        return ctx.call("", "floor", List.of("new_source", COMPILING), null);
    }

    @Benchmark
    @OperationsPerInvocation(CHEAP)
    public Object callSqrt() {
        return ctx.call("", "floor", List.of("sqrt", CHEAP), null);
    }
}
