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

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.core.interop.FunctionRegistry;

/**
 * Where the time of one {@code pyhost.call('bench.inc', i)} goes (issue 12), by taking pieces
 * away, each in the same 10,000-iteration Python loop as {@link UpcallBench}, per upcall:
 *
 * <ul>
 * <li>{@code full}: {@code pyhost.call('bench.inc', i)}, as {@link UpcallBench#upcall};
 * <li>{@code raw}: {@code _raw(1, 'bench.inc', (i,), None)}: the module's C entry point called
 * directly, without the Python wrapper ({@code call()} and its readiness check): the upcall and
 * everything Java does (it answers the value itself);
 * <li>{@code wrapper}: the wrapper's own code ({@code call.__code__} with {@code _raw} replaced by
 * a Python function that answers {@code i + 1} at once), so no Java at all;
 * <li>{@code stub}: that stand-in called directly; {@code wrapper - stub} is what the wrapper adds;
 * <li>{@code loop}: the loop calling a Python function {@code inc(i)} (the floor).
 * </ul>
 * The contexts have no sandbox, in every mode: reading {@code call.__globals__} is an audited
 * attribute the sandbox refuses. {@link UpcallBench} measures owngil with its default sandbox.
 * Besides JMH's wall time, the loop's thread CPU time per iteration ({@link CpuTime}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class UpcallPartsBench {
    static final int LOOP = 10_000;
    private static final long SERVICE_ID = Long.MAX_VALUE - 8;

    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    private ContextEngine engine;
    private PyContext ctx;
    private final List<Object> loop = List.of(LOOP);
    private static final long EXPECTED = (long) LOOP * (LOOP + 1) / 2;

    @Setup(Level.Trial)
    public void open() {
        FunctionRegistry.shared().add(new FunctionRegistry.Entry("bench.inc", (args, kwargs) -> (Long) args.get(0) + 1, 0, SERVICE_ID));
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, ContextOptions.mode(mode).withSandbox(false));
        ctx.exec(CpuTime.TIMED);
        ctx.exec(PARTS);
        long expected = (long) LOOP * (LOOP + 1) / 2;
        for (String f : List.of("full", "raw", "wrapper", "stub", "loop")) {
            Pyhost.check(expected, ctx.call(null, f, loop, null), f);
        }
    }

    static final String PARTS = """
            import pyhost, types
            _ns = pyhost.call.__globals__
            _raw = _ns['_raw']
            _OP_CALL = _ns['_OP_CALL']
            call = pyhost.call
            def _stub(op, name, args, kwargs):
                return args[0] + 1
            stubbed_call = types.FunctionType(call.__code__, dict(_ns, _raw=_stub), 'call')
            def inc(i):
                return i + 1
            def full(n):
                t = 0
                for i in range(n):
                    t += call('bench.inc', i)
                return t
            def raw(n):
                t = 0
                for i in range(n):
                    t += _raw(_OP_CALL, 'bench.inc', (i,), None)
                return t
            def wrapper(n):
                t = 0
                for i in range(n):
                    t += stubbed_call('bench.inc', i)
                return t
            def stub(n):
                t = 0
                for i in range(n):
                    t += _stub(_OP_CALL, 'bench.inc', (i,), None)
                return t
            def loop(n):
                t = 0
                for i in range(n):
                    t += inc(i)
                return t
            """;

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        engine.closeAll("benchmark ended");
        FunctionRegistry.shared().remove(SERVICE_ID);
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object full(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("full", LOOP), null), EXPECTED, LOOP, "full");
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object raw(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("raw", LOOP), null), EXPECTED, LOOP, "raw");
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object wrapper(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("wrapper", LOOP), null), EXPECTED, LOOP, "wrapper");
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object stub(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("stub", LOOP), null), EXPECTED, LOOP, "stub");
    }

    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object loop(CpuTime cpu) {
        return cpu.add(ctx.call(null, "timed", List.of("loop", LOOP), null), EXPECTED, LOOP, "loop");
    }
}
