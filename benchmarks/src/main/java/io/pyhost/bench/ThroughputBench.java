package io.pyhost.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * Throughput of small cached calls ({@code eval("x + 1")}) with one thread on one context and
 * with two threads, each on a context of its own, per mode. The two-thread figure is the sum over
 * both threads; twoThreads / oneThread is the scaling (2.0 = perfect on 2 cores; worker mode
 * shares the one GIL).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
public class ThroughputBench {

    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"worker", "subinterp", "owngil"})
        public String mode;
        ContextEngine engine;

        @Setup(Level.Trial)
        public void open() {
            engine = Pyhost.engine(null);
        }

        @TearDown(Level.Trial)
        public void close() {
            engine.closeAll("benchmark ended");
        }
    }

    /** Each benchmark thread's own context. */
    @State(Scope.Thread)
    public static class Context {
        PyContext ctx;

        @Setup(Level.Trial)
        public void open(Engine engine) {
            ctx = Pyhost.create(engine.engine, engine.mode);
            ctx.exec("x = 1");
            Pyhost.check(2L, ctx.eval("x + 1"), "x + 1");
        }

        @TearDown(Level.Trial)
        public void close() {
            ctx.close();
        }
    }

    @Benchmark
    @Threads(1)
    public Object oneThread(Context c) {
        return c.ctx.eval("x + 1");
    }

    @Benchmark
    @Threads(2)
    public Object twoThreads(Context c) {
        return c.ctx.eval("x + 1");
    }
}
