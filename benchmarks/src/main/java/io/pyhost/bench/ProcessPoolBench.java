package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import com.google.gson.JsonElement;

/**
 * Peer: a pool of CPython worker processes over pipes ({@link PipeWorker}), running the embedded
 * CPython's own {@code bin/python3}, so the interpreter build is the one pyhost loads. The same
 * operations as {@link SmallCallBench} (from a platform thread) and {@link BurnBench}, plus the
 * cost of starting a worker until it answers.
 */
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
public class ProcessPoolBench {

    /** Two running workers with x and burn defined. */
    @State(Scope.Benchmark)
    public static class Pool {
        PipeWorker one;
        PipeWorker two;
        ExecutorService callers;
        long next;

        @Setup(Level.Trial)
        public void start() {
            one = PipeWorker.start(PipeWorker.embeddedPython());
            two = PipeWorker.start(PipeWorker.embeddedPython());
            for (PipeWorker w : List.of(one, two)) {
                w.exec("x = 1\nimport math\n" + Workloads.BURN);
                Pyhost.check(2L, w.eval("x + 1").getAsLong(), "x + 1");
            }
            callers = Executors.newFixedThreadPool(2);
        }

        @TearDown(Level.Trial)
        public void stop() {
            callers.shutdownNow();
            one.close();
            two.close();
        }
    }

    /** The worker started by the timed iteration, stopped (untimed) after it. */
    @State(Scope.Benchmark)
    public static class Spawned {
        PipeWorker worker;

        @TearDown(Level.Iteration)
        public void stop() {
            if (worker != null) {
                worker.close();
                worker = null;
            }
        }
    }

    /** Start a worker process and wait for its first message (interpreter start, imports, ready). */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3, batchSize = 1)
    @Measurement(iterations = 10, batchSize = 1)
    public Object spawn(Spawned s) {
        s.worker = PipeWorker.start(PipeWorker.embeddedPython());
        return s.worker;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public JsonElement evalCached(Pool p) {
        return p.one.eval("x + 1");
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public JsonElement evalNewSource(Pool p) {
        return p.one.eval("x + " + p.next++);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public JsonElement callSqrt(Pool p) {
        return p.one.call("math", "sqrt", List.of(16.0));
    }

    private static Future<Long> burn(Pool p, PipeWorker w) {
        return p.callers.submit(() -> w.call("", "burn", List.of(Workloads.BURN_N)).getAsLong());
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, batchSize = 1)
    @Measurement(iterations = 5, batchSize = 1)
    public long burnOneWorker(Pool p) throws Exception {
        long result = burn(p, p.one).get();
        Pyhost.check(Workloads.burnResult(Workloads.BURN_N), result, "burn");
        return result;
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, batchSize = 1)
    @Measurement(iterations = 5, batchSize = 1)
    public long burnTwoWorkers(Pool p) throws Exception {
        Future<Long> a = burn(p, p.one);
        Future<Long> b = burn(p, p.two);
        long expected = Workloads.burnResult(Workloads.BURN_N);
        Pyhost.check(expected, a.get(), "burn");
        Pyhost.check(expected, b.get(), "burn");
        return expected;
    }
}
