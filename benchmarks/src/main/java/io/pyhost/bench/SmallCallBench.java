package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * One small call, round trip from Java into CPython and back, per mode and per kind of calling
 * thread. Each invocation makes {@value #BATCH} calls in a row on one context; the figure is the
 * time of one call.
 *
 * <ul>
 * <li>{@code evalCached}: {@code eval("x + 1")} with {@code x} set; the same source every time, so
 * the compiled code comes from the interpreter's cache.
 * <li>{@code evalNewSource}: {@code eval("x + <n>")} with a new n every call: compiling included.
 * <li>{@code callSqrt}: {@code call("math", "sqrt", [16.0])}: module lookup, argument and result
 * conversion.
 * </ul>
 * {@code caller=platform} calls from the JMH thread itself; {@code caller=virtual} makes the same
 * calls from one virtual thread started per batch (its start and join are spread over the batch:
 * a few ns per call).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class SmallCallBench {
    static final int BATCH = 1000;

    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    @Param({"platform", "virtual"})
    public String caller;

    private ContextEngine engine;
    private PyContext ctx;
    private long next;

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, mode);
        ctx.exec("x = 1\nimport math");
        Pyhost.check(2L, ctx.eval("x + 1"), "x + 1");
        Pyhost.check(4.0, ctx.call("math", "sqrt", List.of(16.0), null), "math.sqrt(16.0)");
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        engine.closeAll("benchmark ended");
    }

    @FunctionalInterface
    interface Batch {
        long run() throws Exception;
    }

    private long batch(Batch batch) throws Exception {
        if (caller.equals("platform")) {
            return batch.run();
        }
        long[] sum = new long[1];
        Exception[] failure = new Exception[1];
        Thread.ofVirtual().start(() -> {
            try {
                sum[0] = batch.run();
            } catch (Exception e) {
                failure[0] = e;
            }
        }).join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return sum[0];
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void evalCached(Blackhole bh) throws Exception {
        bh.consume(batch(() -> {
            long sum = 0;
            for (int i = 0; i < BATCH; i++) {
                sum += (Long) ctx.eval("x + 1");
            }
            return sum;
        }));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void evalNewSource(Blackhole bh) throws Exception {
        bh.consume(batch(() -> {
            long sum = 0;
            for (int i = 0; i < BATCH; i++) {
                sum += (Long) ctx.eval("x + " + next++);
            }
            return sum;
        }));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void callSqrt(Blackhole bh) throws Exception {
        List<Double> args = List.of(16.0);
        bh.consume(batch(() -> {
            long sum = 0;
            for (int i = 0; i < BATCH; i++) {
                sum += ((Double) ctx.call("math", "sqrt", args, null)).longValue();
            }
            return sum;
        }));
    }
}
