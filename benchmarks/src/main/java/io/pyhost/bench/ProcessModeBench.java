package io.pyhost.bench;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.spi.ContextProvider;
import io.pyhost.strategy.process.ProcessStrategy;

/**
 * The {@code process} mode (a child CPython per context, over a framed stdin/stdout pipe), through
 * core's {@link ContextEngine} as the factory drives it. Goals of issue 15: a cached
 * {@code eval("x + 1")} round trip of at most 15 µs; at least 500 MB/s for 10 MB of {@code bytes}
 * both ways.
 *
 * <ul>
 * <li>{@code evalCached}: {@code eval("x + 1")} with {@code x} set in the child; the child caches the compiled code.
 * <li>{@code echoBytes10MB}: {@code call(echo, [10 MB bytes])}: 10 MB to the child and the same 10 MB back
 * in one call (20 MB moved; MB/s = 20 / time per call in seconds).
 * <li>{@code create}: one context per iteration, timed alone (its close is not timed); {@code variant=cold}
 * starts a CPython, {@code pool} takes a child from a warm pool of 2 ({@code warmPool = process=2})
 * that is full before every iteration.
 * </ul>
 */
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
public class ProcessModeBench {
    static final int BATCH = 1_000;
    static final int TEN_MB = 10 * 1024 * 1024;

    /** The process strategy as the OSGi component would be, outside OSGi: its server goes to a temporary file. */
    static ProcessStrategy strategy() {
        org.osgi.framework.BundleContext none = (org.osgi.framework.BundleContext) Proxy.newProxyInstance(
                ProcessModeBench.class.getClassLoader(), new Class<?>[] {org.osgi.framework.BundleContext.class},
                (proxy, method, args) -> null); // getDataFile: none
        return new ProcessStrategy(none);
    }

    static ContextEngine engine() {
        ContextEngine engine = Pyhost.engine(null);
        engine.setPythonInstallation(Pyhost.installation().home(), Pyhost.installation().library());
        return engine;
    }

    static PyContext create(ContextEngine engine, ContextProvider strategy) {
        return engine.create("process", strategy, strategy, ContextOptions.mode("process"));
    }

    @State(Scope.Benchmark)
    public static class Channel {
        /** {@code pyhost.process.spinMicros}: the child and the JVM's reader poll for the other side (50, the default) or block at once (0). */
        @Param({"50", "0"})
        public String spinMicros;
        ContextEngine engine;
        PyContext ctx;
        byte[] payload;

        @Setup(Level.Trial)
        public void open() {
            System.setProperty("pyhost.process.spinMicros", spinMicros); // read as the context starts
            engine = engine();
            ctx = create(engine, strategy());
            ctx.exec("x = 1\ndef echo(b):\n    return b");
            Pyhost.check(2L, ctx.eval("x + 1"), "x + 1");
            payload = new byte[TEN_MB];
            new java.util.Random(1).nextBytes(payload);
            byte[] back = (byte[]) ctx.call(null, "echo", List.of(payload), null);
            if (!java.util.Arrays.equals(payload, back)) {
                throw new IllegalStateException("echo changed the bytes");
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            engine.closeAll("benchmark ended");
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 10, time = 1)
    @OperationsPerInvocation(BATCH)
    public void evalCached(Channel c, Blackhole bh) {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Long) c.ctx.eval("x + 1");
        }
        bh.consume(sum);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 2)
    public Object echoBytes10MB(Channel c) {
        return c.ctx.call(null, "echo", List.of(c.payload), null);
    }

    @State(Scope.Benchmark)
    public static class Creation {
        static final int POOL = 2;

        @Param({"cold", "pool"})
        public String variant;

        ContextEngine engine;
        ProcessStrategy strategy;
        PyContext created;

        @Setup(Level.Trial)
        public void open() {
            engine = engine();
            strategy = strategy();
            if (variant.equals("pool")) {
                engine.setProvidedWarmPools(Map.of(strategy, Map.entry("process", POOL)));
            }
            try (PyContext probe = create(engine, strategy)) {
                Pyhost.check(2L, probe.eval("1 + 1"), "1 + 1");
            }
        }

        @Setup(Level.Iteration)
        public void fillPool() throws InterruptedException {
            if (variant.equals("pool")) {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (strategy.warmPoolReady() < POOL) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the process warm pool did not fill within 60 s");
                    }
                    Thread.sleep(2);
                }
            }
        }

        @TearDown(Level.Iteration)
        public void closeCreated() {
            if (created != null) {
                created.close();
                created = null;
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            engine.setProvidedWarmPools(Map.of());
            engine.closeAll("benchmark ended");
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3, batchSize = 1)
    @Measurement(iterations = 15, batchSize = 1)
    public PyContext create(Creation c) {
        c.created = create(c.engine, c.strategy);
        return c.created;
    }
}
