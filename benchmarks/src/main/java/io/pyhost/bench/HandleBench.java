package io.pyhost.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyObject;
import io.pyhost.core.ContextEngine;

/**
 * Python objects held by Java (issue 13), per mode:
 * <ul>
 * <li>{@code heldCallable}: {@code sqrt.call(16.0)} on a {@code PyObject sqrt = evalObject("math.sqrt")},
 * {@value #BATCH} calls per invocation, the figure per call (goal: worker ≤ 0.5 µs and faster than
 * GraalPy's interpreter holding the same function, {@code GraalPyBench}; owngil ≤ 1.5 µs);
 * <li>{@code streamMillion}: a generator of 1,000,000 ints pulled through {@code stream()} and summed
 * in Java, the figure per run (goal: ≥ 2 million items/s in worker, i.e. ≤ 500 ms);
 * <li>{@code callAsyncThousand}: 1,000 {@code callAsync} of an {@code async def} that awaits
 * {@code asyncio.sleep(0)}, all in flight, then joined: the figure per 1,000.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class HandleBench {
    static final int BATCH = 1000;
    static final int ITEMS = 1_000_000;
    static final int IN_FLIGHT = 1000;

    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    private ContextEngine engine;
    private PyContext ctx;
    private PyObject sqrt;

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, ContextOptions.mode(mode).withSandbox(false));
        ctx.exec("import math, asyncio\n"
                + "def count(n):\n    yield from range(n)\n"
                + "async def tick(i):\n    await asyncio.sleep(0)\n    return i");
        sqrt = ctx.evalObject("math.sqrt");
        Pyhost.check(4.0, sqrt.call(16.0), "sqrt.call(16.0)");
    }

    @TearDown(Level.Trial)
    public void close() {
        sqrt.close();
        ctx.close();
        engine.closeAll("benchmark ended");
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(BATCH)
    public double heldCallable() {
        double sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Double) sqrt.call(16.0);
        }
        return sum;
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long streamMillion() {
        try (PyObject gen = ctx.evalObject("count(" + ITEMS + ")"); Stream<Object> items = gen.stream()) {
            long sum = items.mapToLong(o -> (Long) o).sum();
            if (sum != (long) ITEMS * (ITEMS - 1) / 2) {
                throw new IllegalStateException("wrong sum " + sum);
            }
            return sum;
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long callAsyncThousand() {
        List<CompletableFuture<Object>> futures = new ArrayList<>(IN_FLIGHT);
        for (int i = 0; i < IN_FLIGHT; i++) {
            futures.add(ctx.callAsync(null, "tick", List.of(i), null));
        }
        long sum = 0;
        for (CompletableFuture<Object> f : futures) {
            sum += (Long) f.join();
        }
        return sum;
    }
}
