package io.pyhost.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.*;

/**
 * Peer: {@code burn(n)} in another CPython build, run as a worker process ({@link PipeWorker}; the
 * pipe adds microseconds to a ~250 ms call). Tells what configuring a system Python (with PGO/LTO,
 * unlike the embedded build) buys for pure-Python loops. {@code python} is the executable; the
 * runner sets it to the pyenv 3.13.0 build when present and skips this benchmark otherwise.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, batchSize = 1)
@Measurement(iterations = 5, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE})
@State(Scope.Benchmark)
public class SystemPythonBench {
    /** The default used when the runner does not set it. */
    public static final String PYENV_313 = "/root/.pyenv/versions/3.13.0/bin/python3";

    @Param({PYENV_313})
    public String python;

    private PipeWorker worker;

    @Setup(Level.Trial)
    public void start() {
        if (!Files.isExecutable(Path.of(python))) {
            throw new IllegalStateException("no Python at " + python);
        }
        worker = PipeWorker.start(Path.of(python));
        worker.exec(Workloads.BURN);
    }

    @TearDown(Level.Trial)
    public void stop() {
        worker.close();
    }

    @Benchmark
    public long burn() {
        long result = worker.call("", "burn", List.of(Workloads.BURN_N)).getAsLong();
        Pyhost.check(Workloads.burnResult(Workloads.BURN_N), result, "burn");
        return result;
    }
}
