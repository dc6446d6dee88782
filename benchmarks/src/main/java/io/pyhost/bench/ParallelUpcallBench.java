package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
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
 * Whether upcalls share a lock (issue 12): {@value #UPCALLS} {@code pyhost.call('bench.inc', i)}
 * in a Python loop on one context alone, then on two contexts from two threads at once (time until
 * both return); and the same for a pure-Python loop of about the same length ({@value #PY_LOOP}
 * calls of a Python function). Scaling = 2 x one / two. Goal (owngil): the upcall scaling within
 * 10% of the pure-Python scaling. worker and subinterp share one GIL, so neither loop scales
 * there; they are measured for contrast.
 *
 * <p>One operation runs all four, one after the other, each timed ({@link Rounds}, summed per
 * iteration): the scalings of an iteration come from the same second, so a change in how busy a
 * shared machine is hits upcalls and pure Python alike. The score is the time of a round.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 15, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Benchmark)
public class ParallelUpcallBench {
    static final int UPCALLS = 100_000;
    static final int PY_LOOP = 1_000_000;
    private static final long SERVICE_ID = Long.MAX_VALUE - 9;

    @Param({"owngil", "worker", "subinterp"})
    public String mode;

    private ContextEngine engine;
    private PyContext one;
    private PyContext two;
    private ExecutorService callers;
    private final List<Object> upcalls = List.of("upcalls", UPCALLS);
    private final List<Object> pyLoop = List.of("pycalls", PY_LOOP);

    /** Nanoseconds of each part of a round, summed per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Rounds {
        public long upcallsOneNanos;
        public long upcallsTwoNanos;
        public long pythonOneNanos;
        public long pythonTwoNanos;
        public long rounds;

        @Setup(Level.Iteration)
        public void reset() {
            rounds = 0;
            upcallsOneNanos = 0;
            upcallsTwoNanos = 0;
            pythonOneNanos = 0;
            pythonTwoNanos = 0;
        }
    }

    @Setup(Level.Trial)
    public void open() {
        FunctionRegistry.shared().add(new FunctionRegistry.Entry("bench.inc", (args, kwargs) -> (Long) args.get(0) + 1, 0, SERVICE_ID));
        engine = Pyhost.engine(null);
        one = Pyhost.create(engine, mode);
        two = Pyhost.create(engine, mode);
        for (PyContext ctx : List.of(one, two)) {
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
                    def run(name, n):
                        return globals()[name](n)
                    """);
        }
        callers = Executors.newFixedThreadPool(2);
    }

    @TearDown(Level.Trial)
    public void close() {
        callers.shutdownNow();
        one.close();
        two.close();
        engine.closeAll("benchmark ended");
        FunctionRegistry.shared().remove(SERVICE_ID);
    }

    private Future<Object> submit(PyContext ctx, List<Object> loop) {
        return callers.submit(() -> ctx.call(null, "run", loop, null));
    }

    private static void check(List<Object> loop, Object got) {
        long n = ((Integer) loop.get(1)).longValue();
        Pyhost.check(n * (n + 1) / 2, got, loop.get(0) + "(" + n + ")");
    }

    /** Nanoseconds for {@code loop} on one context alone. */
    private long alone(List<Object> loop) throws Exception {
        long start = System.nanoTime();
        Object r = submit(one, loop).get();
        long nanos = System.nanoTime() - start;
        check(loop, r);
        return nanos;
    }

    /** Nanoseconds until {@code loop} returned on both contexts, started at once from two threads. */
    private long together(List<Object> loop) throws Exception {
        long start = System.nanoTime();
        Future<Object> a = submit(one, loop);
        Future<Object> b = submit(two, loop);
        Object ra = a.get();
        Object rb = b.get();
        long nanos = System.nanoTime() - start;
        check(loop, ra);
        check(loop, rb);
        return nanos;
    }

    /** A round: upcalls alone, upcalls on both, Python alone, Python on both. */
    @Benchmark
    public long round(Rounds rounds) throws Exception {
        long u1 = alone(upcalls);
        long u2 = together(upcalls);
        long p1 = alone(pyLoop);
        long p2 = together(pyLoop);
        rounds.upcallsOneNanos += u1;
        rounds.upcallsTwoNanos += u2;
        rounds.pythonOneNanos += p1;
        rounds.pythonTwoNanos += p2;
        rounds.rounds++;
        return u1 + u2 + p1 + p2;
    }
}
