package io.pyhost.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

import org.apache.felix.framework.Felix;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.core.interop.PythonServices;

/**
 * Java calling a Python-implemented OSGi service (issue 12): a Python object registered with
 * {@code pyhost.register('java.util.function.LongUnaryOperator', obj)}, called through the Java
 * proxy the framework hands out ({@code applyAsLong(i)}), next to {@code PyContext.call} of the
 * very same Python function ({@code obj.applyAsLong is inc}). Goal: the service call at most
 * 1.5x the context call.
 *
 * <p>{@code pyhost.register} needs an OSGi framework: an embedded Felix (no bundles installed)
 * whose system bundle context core's {@link PythonServices} is bound to; the contexts come from
 * core's {@link ContextEngine} as in every other benchmark. {@code java.*} interfaces load from
 * the JDK, so no bundle has to export the interface. Each invocation makes {@value #BATCH} calls.
 * Besides JMH's wall time, the calling thread's CPU time ({@link CpuTime}): all of a call's work
 * in worker mode, only the caller's side (hand-off, waiting) in the sub-interpreter modes; and
 * {@link #interleaved}, the two calls alternating, each timed, for a ratio of calls made at the
 * same moments.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class PythonServiceBench {
    static final int BATCH = 1000;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    private Path storage;
    private Felix felix;
    private ContextEngine engine;
    private PyContext ctx;
    private LongUnaryOperator service;
    private ServiceReference<LongUnaryOperator> reference;

    @Setup(Level.Trial)
    public void open() throws Exception {
        storage = Files.createTempDirectory("pyhost-bench-felix");
        felix = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        felix.init();
        felix.start();
        BundleContext bc = felix.getBundleContext();
        PythonServices.shared().bind(bc);
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, mode);
        ctx.exec("""
                import pyhost
                def inc(i):
                    return i + 1
                class Incrementer:
                    applyAsLong = staticmethod(inc)
                registration = pyhost.register('java.util.function.LongUnaryOperator', Incrementer(), {'pyhost.bench': 'inc'})
                """);
        Collection<ServiceReference<LongUnaryOperator>> refs = bc.getServiceReferences(LongUnaryOperator.class, "(pyhost.bench=inc)");
        if (refs.size() != 1) {
            throw new IllegalStateException("expected one Python LongUnaryOperator service, found " + refs.size());
        }
        reference = refs.iterator().next();
        service = bc.getService(reference);
        Pyhost.check(42L, service.applyAsLong(41), "service applyAsLong(41)");
        Pyhost.check(42L, ctx.call(null, "inc", List.of(41L), null), "call inc(41)");
        Pyhost.check(true, ctx.eval("Incrementer.applyAsLong is inc"), "same function");
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        felix.getBundleContext().ungetService(reference);
        ctx.close();
        engine.closeAll("benchmark ended");
        PythonServices.shared().unbind();
        felix.stop();
        felix.waitForStop(10_000);
        try (Stream<Path> files = Files.walk(storage)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The service proxy: {@code applyAsLong(i)} runs {@code inc(i)} in the registering context. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long service(CpuTime cpu) {
        long start = THREADS.getCurrentThreadCpuTime();
        long t = service();
        cpu.cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
        cpu.ops += BATCH;
        return t;
    }

    /** {@code PyContext.call} of the same function. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long contextCall(CpuTime cpu) {
        long start = THREADS.getCurrentThreadCpuTime();
        long t = contextCall();
        cpu.cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
        cpu.ops += BATCH;
        return t;
    }

    /** Time of each kind of call, summed per iteration ({@link #interleaved}). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Paired {
        public long serviceNanos;
        public long callNanos;

        @Setup(Level.Iteration)
        public void reset() {
            serviceNanos = 0;
            callNanos = 0;
        }
    }

    /**
     * The two calls in turn, each timed: the ratio per iteration compares calls made at the same
     * moments, so a change in how busy the machine is (which moves a hand-off between spinning and
     * waking a parked thread, 1 µs against tens) hits both alike. Two calls per operation.
     */
    @Benchmark
    @OperationsPerInvocation(2 * BATCH)
    public long interleaved(Paired paired) {
        long t = 0;
        long serviceNanos = 0;
        long callNanos = 0;
        for (int i = 0; i < BATCH; i++) {
            long a = System.nanoTime();
            t += service.applyAsLong(i);
            long b = System.nanoTime();
            t += (Long) ctx.call(null, "inc", List.of((long) i), null);
            callNanos += System.nanoTime() - b;
            serviceNanos += b - a;
        }
        paired.serviceNanos += serviceNanos;
        paired.callNanos += callNanos;
        return t;
    }

    long service() {
        long t = 0;
        for (int i = 0; i < BATCH; i++) {
            t += service.applyAsLong(i);
        }
        return t;
    }

    long contextCall() {
        long t = 0;
        for (int i = 0; i < BATCH; i++) {
            t += (Long) ctx.call(null, "inc", List.of((long) i), null);
        }
        return t;
    }
}
