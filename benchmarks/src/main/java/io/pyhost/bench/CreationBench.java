package io.pyhost.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * The cost of {@code create}: one context per iteration, timed alone (closing it is not timed).
 *
 * <ul>
 * <li>{@code variant}: the mode; {@code subinterp-pool} and {@code owngil-pool} take the
 * interpreter from a warm pool of 2 that is full before every iteration (the pool refills in the
 * background between iterations, not during the timed call). Worker contexts need no pool: the
 * main interpreter is always there.
 * <li>{@code preload=empty}: no application preload; {@code realistic}: imports json, re,
 * dataclasses and decimal, defines a dataclass, a pattern, a config dict and 20 functions
 * ({@link Workloads#REALISTIC_PRELOAD}). Worker mode runs it once per preload version and copies
 * the result into each new context; a sub-interpreter runs it itself, unless it comes from the pool.
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 20, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Benchmark)
public class CreationBench {
    static final int POOL = 2;

    @Param({"worker", "subinterp", "owngil", "subinterp-pool", "owngil-pool"})
    public String variant;

    @Param({"empty", "realistic"})
    public String preload;

    private String mode;
    private boolean pooled;
    private ContextEngine engine;
    private PyContext created;

    @Setup(Level.Trial)
    public void open() {
        pooled = variant.endsWith("-pool");
        mode = pooled ? variant.substring(0, variant.length() - "-pool".length()) : variant;
        engine = Pyhost.engine(preload.equals("realistic") ? Workloads.REALISTIC_PRELOAD : null);
        if (pooled) {
            Pyhost.warmPool(engine, mode, POOL);
        }
        try (PyContext probe = Pyhost.create(engine, mode)) {
            if (preload.equals("realistic")) {
                Pyhost.check("{\"k\": 1, \"v\": 2}", probe.eval("fn01(2)"), "fn01(2)");
            }
        }
    }

    @Setup(Level.Iteration)
    public void fillPool() {
        if (pooled) {
            Pyhost.awaitPool(engine, mode, POOL);
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
        engine.closeAll("benchmark ended");
    }

    @Benchmark
    public PyContext create() {
        created = Pyhost.create(engine, mode);
        return created;
    }
}
