package io.pyhost.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * What the sandbox ({@code ContextOptions.withSandbox}) costs, off and on side by side, in a
 * mode that sandboxes the whole interpreter (owngil) and in the one that sandboxes the calling
 * thread for the duration of each call (worker). The figure is per operation:
 *
 * <ul>
 * <li>{@code smallCall}: one {@code eval("x + 1")} round trip (cached code), {@value #BATCH} in a
 * row; in worker mode each call enters and leaves the sandbox.
 * <li>{@code auditEvent}: one audit event seen by every hook: one call runs
 * {@code sys.audit('pyhost.bench')} {@value #EVENTS} times; the figure is one event (the loop's
 * own cost included, ~0.05 us).
 * <li>{@code openEvent}: {@code open('/dev/null').close()}, an ordinary operation that raises one
 * audited event ({@code open}), {@value #EVENTS} times in one call.
 * </ul>
 * The sandbox of an own-GIL context cannot be switched off once on, so "off" and "on" are two
 * contexts; in worker mode the hook, once installed, stays in the main interpreter for the rest
 * of the fork: "off" there means a context that is not sandboxed (its thread is not checked).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class SandboxBench {
    static final int BATCH = 1000;
    static final int EVENTS = 1000;

    @Param({"worker", "owngil"})
    public String mode;

    @Param({"off", "on"})
    public String sandbox;

    private ContextEngine engine;
    private PyContext ctx;

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, ContextOptions.mode(mode).withSandbox(sandbox.equals("on")));
        ctx.exec("x = 1\nimport sys\n"
                + "def audits(n):\n    audit = sys.audit\n    for _ in range(n):\n        audit('pyhost.bench')\n    return n\n"
                + "def opens(n):\n    for _ in range(n):\n        open('/dev/null').close()\n    return n\n");
        Pyhost.check(2L, ctx.eval("x + 1"), "x + 1");
        Pyhost.check((long) EVENTS, ctx.eval("audits(" + EVENTS + ")"), "audits");
        Pyhost.check((long) EVENTS, ctx.eval("opens(" + EVENTS + ")"), "opens");
        boolean refuses;
        try {
            ctx.eval("__import__('os').system('true')");
            refuses = false;
        } catch (RuntimeException e) {
            refuses = true;
        }
        Pyhost.check(sandbox.equals("on"), refuses, "the sandbox refuses os.system");
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        engine.closeAll("benchmark ended");
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void smallCall(Blackhole bh) {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Long) ctx.eval("x + 1");
        }
        bh.consume(sum);
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Object auditEvent() {
        return ctx.eval("audits(" + EVENTS + ")");
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public Object openEvent() {
        return ctx.eval("opens(" + EVENTS + ")");
    }
}
