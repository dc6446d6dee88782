package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.core.interop.FunctionRegistry;

/**
 * Python calling Java (issue 12): {@code pyhost.call('bench.inc', i)} inside a 10,000-iteration
 * Python loop, per upcall, next to the same loop calling a Python function (the floor of the
 * loop itself). Goal: worker at most 0.5 µs per upcall, subinterp and owngil at most 1 µs.
 * Besides JMH's wall time, the loop's thread CPU time per upcall ({@link CpuTime}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class UpcallBench {
    static final int LOOP = 10_000;
    private static final long SERVICE_ID = Long.MAX_VALUE - 7;

    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    private ContextEngine engine;
    private PyContext ctx;

    @Setup(Level.Trial)
    public void open() {
        FunctionRegistry.shared().add(new FunctionRegistry.Entry("bench.inc", (args, kwargs) -> (Long) args.get(0) + 1, 0, SERVICE_ID));
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, mode);
        ctx.exec(CpuTime.TIMED);
        ctx.exec("""
                import pyhost
                call = pyhost.call
                def inc(i):
                    return i + 1
                def upcalls(n):
                    t = 0
                    for i in range(n):
                        t += call('bench.inc', i)
                    return t
                def pycalls(n):
                    t = 0
                    for i in range(n):
                        t += inc(i)
                    return t
                """);
        long expected = (long) LOOP * (LOOP + 1) / 2;
        Pyhost.check(expected, ctx.call(null, "upcalls", List.of(LOOP), null), "upcalls");
        Pyhost.check(expected, ctx.call(null, "pycalls", List.of(LOOP), null), "pycalls");
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        engine.closeAll("benchmark ended");
        FunctionRegistry.shared().remove(SERVICE_ID);
    }

    private static final long EXPECTED = (long) LOOP * (LOOP + 1) / 2;

    /** One pyhost.call per operation. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object upcall(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("upcalls", LOOP), null), EXPECTED, LOOP, "upcalls");
    }

    /** The same loop calling a Python function: what the loop costs without Java. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object pythonCall(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("pycalls", LOOP), null), EXPECTED, LOOP, "pycalls");
    }
}
