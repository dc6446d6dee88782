package io.pyhost.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * Value conversion at size, per mode:
 * <ul>
 * <li>{@code listOfDictsToJava}: a 10,000-element list of 4-field dicts, built once in the
 * context, returned to Java as {@code List<Map>} ({@code eval("ROWS")}).
 * <li>{@code bytesToJava}: 10 MB of {@code bytes} returned as {@code byte[]}.
 * <li>{@code bytesToPython}: a 10 MB {@code byte[]} passed as an argument ({@code call("", "size", [blob])}).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Benchmark)
public class ConversionBench {
    @Param({"worker", "subinterp", "owngil"})
    public String mode;

    private ContextEngine engine;
    private PyContext ctx;
    private List<byte[]> blob;

    @Setup(Level.Trial)
    public void open() {
        engine = Pyhost.engine(null);
        ctx = Pyhost.create(engine, mode);
        ctx.exec("ROWS = " + Workloads.ROWS + "\nBLOB = bytes(range(256)) * " + (Workloads.BLOB_SIZE / 256)
                + "\ndef size(b):\n    return len(b)\n");
        byte[] bytes = new byte[Workloads.BLOB_SIZE];
        new java.util.Random(1).nextBytes(bytes);
        blob = List.of(bytes);
        Pyhost.check(10_000, ((List<?>) ctx.eval("ROWS")).size(), "len(ROWS)");
        Pyhost.check(Workloads.BLOB_SIZE, ((byte[]) ctx.eval("BLOB")).length, "len(BLOB)");
        Pyhost.check((long) Workloads.BLOB_SIZE, ctx.call("", "size", blob, null), "size(blob)");
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        engine.closeAll("benchmark ended");
    }

    @Benchmark
    public Object listOfDictsToJava() {
        return ctx.eval("ROWS");
    }

    @Benchmark
    public Object bytesToJava() {
        return ctx.eval("BLOB");
    }

    @Benchmark
    public Object bytesToPython() {
        return ctx.call("", "size", blob, null);
    }
}
