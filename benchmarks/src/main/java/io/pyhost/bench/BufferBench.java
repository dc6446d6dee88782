package io.pyhost.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyBuffer;
import io.pyhost.api.PyContext;
import io.pyhost.api.PyObject;
import io.pyhost.core.ContextEngine;
import io.pyhost.packages.numpy.NumpyTree;
import io.pyhost.python.cache.NativeLibraries;

/**
 * Arrays without copies (issue 14), in a worker context with numpy from the package bundle's tree:
 * summing {@value #N} doubles that Java holds
 * <ul>
 * <li>{@code listFromArray}: (a) passed as a {@code double[]}, which becomes a Python list, summed by {@code sum()};
 * <li>{@code segmentToNumpy}: (b) passed as a native {@code MemorySegment}: a memoryview,
 *     {@code numpy.frombuffer(view).sum()};
 * <li>{@code numpyHeld}: (c) the floor, the same sum over an array numpy already holds (one call);
 * </ul>
 * goal: (b) within 1.3x of (c) and at least 50x faster than (a). The reverse direction:
 * <ul>
 * <li>{@code bufferToJava}: {@code PyObject.buffer()} of a numpy array of {@value #N} doubles, summed
 *     in Java over the segment, the buffer closed;
 * <li>{@code javaLoop}: the same Java loop over a native segment Java allocated;
 * </ul>
 * goal: within 1.3x.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Thread)
public class BufferBench {
    static final int N = 8_000_000;
    static final double EXPECTED = (double) N * (N - 1) / 2; // 0 + 1 + ... + N-1: exact in a double

    private ContextEngine engine;
    private PyContext ctx;
    private Arena arena;
    private MemorySegment segment;
    private double[] array;
    private PyObject held;

    @Setup(Level.Trial)
    public void open() {
        NumpyTree tree;
        try {
            tree = NumpyTree.installEmbedded(NumpyTree.defaultRoot(), "2.4.2");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NativeLibraries.loadGlobally(tree.libraries());
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, ContextOptions.mode("worker").withSandbox(false));
        ctx.eval("__import__('sys').path.insert(0, numpy_dir)", java.util.Map.of("numpy_dir", tree.pythonDir().toString()));
        ctx.exec("import numpy\n"
                + "def list_sum(xs):\n    return sum(xs)\n"
                + "def numpy_sum(view):\n    return float(numpy.frombuffer(view, dtype='float64').sum())\n"
                + "held = numpy.arange(" + N + ", dtype='float64')\n"
                + "def held_sum():\n    return float(held.sum())\n");
        arena = Arena.ofShared();
        segment = arena.allocate(ValueLayout.JAVA_DOUBLE, N);
        array = new double[N];
        for (int i = 0; i < N; i++) {
            array[i] = i;
            segment.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i);
        }
        held = ctx.evalObject("held");
        Pyhost.check(EXPECTED, listFromArray(), "(a)");
        Pyhost.check(EXPECTED, segmentToNumpy(), "(b)");
        Pyhost.check(EXPECTED, numpyHeld(), "(c)");
        Pyhost.check(EXPECTED, bufferToJava(), "reverse");
        Pyhost.check(EXPECTED, javaLoop(), "Java loop");
    }

    @TearDown(Level.Trial)
    public void close() {
        held.close();
        ctx.close();
        engine.closeAll("benchmark ended");
        arena.close();
    }

    @Benchmark
    public Object listFromArray() {
        return ctx.call(null, "list_sum", List.of(array), null);
    }

    @Benchmark
    public Object segmentToNumpy() {
        return ctx.call(null, "numpy_sum", List.of(segment), null);
    }

    @Benchmark
    public Object numpyHeld() {
        return ctx.call(null, "held_sum", List.of(), null);
    }

    @Benchmark
    public double bufferToJava() {
        try (PyBuffer buffer = held.buffer()) {
            return sum(buffer.segment());
        }
    }

    @Benchmark
    public double javaLoop() {
        return sum(segment);
    }

    private static double sum(MemorySegment doubles) {
        double total = 0;
        long n = doubles.byteSize() / Double.BYTES;
        for (long i = 0; i < n; i++) {
            total += doubles.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
        }
        return total;
    }
}
