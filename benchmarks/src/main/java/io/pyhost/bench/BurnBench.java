package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * CPU-bound pure Python: {@code burn(n)} (n = {@link Workloads#BURN_N}, ~250 ms) on one context
 * from one thread, and on two contexts from two threads at once (the time until both return).
 * Scaling = 2 * oneContext / twoContexts: 2.0 when two contexts run truly in parallel (owngil and
 * process on 2 cores), about 1.0 when they share a GIL (worker, subinterp). Both variants call from the same
 * pool of two platform threads, so they pay the same handoff.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, batchSize = 1)
@Measurement(iterations = 5, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Benchmark)
public class BurnBench {
    @Param({"worker", "subinterp", "owngil", "process"})
    public String mode;

    private ContextEngine engine;
    private PyContext one;
    private PyContext two;
    private ExecutorService callers;
    private final List<Long> args = List.of(Workloads.BURN_N);
    private final long expected = Workloads.burnResult(Workloads.BURN_N);

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(Workloads.BURN);
        if (mode.equals("process")) { // a child process per context, the strategy outside OSGi as ProcessModeBench makes it
            engine.setPythonInstallation(Pyhost.installation().home(), Pyhost.installation().library());
            var strategy = ProcessModeBench.strategy();
            one = engine.create(mode, strategy, strategy, io.pyhost.api.ContextOptions.mode(mode));
            two = engine.create(mode, strategy, strategy, io.pyhost.api.ContextOptions.mode(mode));
        } else {
            one = Pyhost.create(engine, mode);
            two = Pyhost.create(engine, mode);
        }
        callers = Executors.newFixedThreadPool(2);
    }

    @TearDown(Level.Trial)
    public void close() {
        callers.shutdownNow();
        one.close();
        two.close();
        engine.closeAll("benchmark ended");
    }

    private Future<Object> burn(PyContext ctx) {
        return callers.submit(() -> ctx.call("", "burn", args, null));
    }

    @Benchmark
    public Object oneContext() throws Exception {
        Object result = burn(one).get();
        Pyhost.check(expected, result, "burn");
        return result;
    }

    @Benchmark
    public Object twoContexts() throws Exception {
        Future<Object> a = burn(one);
        Future<Object> b = burn(two);
        Pyhost.check(expected, a.get(), "burn");
        Pyhost.check(expected, b.get(), "burn");
        return b;
    }
}
