package io.pyhost.bench;

import java.util.concurrent.TimeUnit;

import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.openjdk.jmh.annotations.*;

/**
 * Peer: GraalPy 25.0.3 ({@code org.graalvm.polyglot:python-community}) on the same JDK 25, run by
 * the runner twice: {@code compiler=interpreter} (stock JDK, GraalPy jars on the module path; Truffle
 * falls back to its interpreter) and {@code compiler=jit} (JVMCI on, the Graal compiler on the
 * upgrade module path). The label is checked against the engine: a run that asks for the JIT and
 * does not get it fails instead of timing the interpreter under the wrong name.
 *
 * <ul>
 * <li>{@code create}: build a context and run the preload (empty: {@code None}; realistic:
 * {@link Workloads#REALISTIC_PRELOAD}); {@code engine=shared} builds every context on one
 * {@link Engine} (code and ASTs are shared), {@code engine=none} gives each context its own.
 * <li>{@code evalCached}, {@code evalNewSource}, {@code callSqrt}: as {@link SmallCallBench} from a
 * platform thread; cached is a reused {@link Source}, sqrt a held {@code math.sqrt} {@link Value}.
 * <li>{@code burn}: as {@link BurnBench#oneContext()}, with more warm-up so that the JIT run
 * shows its compiled speed.
 * </ul>
 */
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
public class GraalPyBench {

    /** Which compiler the run was launched with; set by the runner. */
    @State(Scope.Benchmark)
    public static class Runtime {
        @Param({"interpreter"})
        public String compiler;

        Engine engine;

        @Setup(Level.Trial)
        public void open() {
            engine = Engine.newBuilder("python").build();
            String name = engine.getImplementationName();
            boolean interpreted = name.toLowerCase(java.util.Locale.ROOT).contains("interpreted");
            if (interpreted != compiler.equals("interpreter")) {
                throw new IllegalStateException("asked for compiler=" + compiler + " but the Truffle runtime is '" + name + "'");
            }
            System.out.println("GraalPy engine: " + name + ", Python " + engine.getLanguages().get("python").getVersion());
        }

        @TearDown(Level.Trial)
        public void close() {
            engine.close();
        }

        Context newContext() {
            return Context.newBuilder("python").engine(engine).build();
        }
    }

    /** A context with x, math and burn defined. */
    @State(Scope.Benchmark)
    public static class Python {
        Context ctx;
        Source cached;
        Value sqrt;
        Value burn;
        long next;

        @Setup(Level.Trial)
        public void open(Runtime runtime) {
            ctx = runtime.newContext();
            ctx.eval("python", "x = 1\nimport math\n" + Workloads.BURN);
            cached = Source.create("python", "x + 1");
            sqrt = ctx.getBindings("python").getMember("math").getMember("sqrt");
            burn = ctx.getBindings("python").getMember("burn");
            Pyhost.check(2L, ctx.eval(cached).asLong(), "x + 1");
            Pyhost.check(4.0, sqrt.execute(16.0).asDouble(), "math.sqrt(16.0)");
        }

        @TearDown(Level.Trial)
        public void close() {
            ctx.close();
        }
    }

    /** What the creation benchmark builds. */
    @State(Scope.Benchmark)
    public static class Creation {
        @Param({"shared", "none"})
        public String engine;

        @Param({"empty", "realistic"})
        public String preload;

        Source code;
        Context created;

        @Setup(Level.Trial)
        public void open(Runtime runtime) {
            code = Source.create("python", preload.equals("realistic") ? Workloads.REALISTIC_PRELOAD + "\nfn01(2)" : "None");
            try (Context probe = build(runtime)) {
                Value v = probe.eval(code);
                if (preload.equals("realistic")) {
                    Pyhost.check("{\"k\": 1, \"v\": 2}", v.asString(), "fn01(2)");
                }
            }
        }

        Context build(Runtime runtime) {
            return engine.equals("shared") ? runtime.newContext() : Context.newBuilder("python").build();
        }

        @TearDown(Level.Iteration)
        public void closeCreated() {
            if (created != null) {
                created.close();
                created = null;
            }
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, batchSize = 1)
    @Measurement(iterations = 5, batchSize = 1)
    public Value create(Runtime runtime, Creation c) {
        c.created = c.build(runtime);
        return c.created.eval(c.code);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public long evalCached(Python p) {
        return p.ctx.eval(p.cached).asLong();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public long evalNewSource(Python p) {
        return p.ctx.eval(Source.create("python", "x + " + p.next++)).asLong();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public double callSqrt(Python p) {
        return p.sqrt.execute(16.0).asDouble();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 10, batchSize = 1)
    @Measurement(iterations = 5, batchSize = 1)
    public long burn(Python p) {
        long result = p.burn.execute(Workloads.BURN_N).asLong();
        Pyhost.check(Workloads.burnResult(Workloads.BURN_N), result, "burn");
        return result;
    }
}
