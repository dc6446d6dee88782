package io.pyhost.bench;

import java.util.List;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * CPU time of the thread that ran a Python loop, next to JMH's wall time: JMH secondary results
 * {@code cpuNanos} and {@code ops}, summed per iteration ({@link Report} shows the median over
 * iterations of cpuNanos / ops). The loops time themselves with {@code time.thread_time_ns()}
 * around the loop, on the one thread that runs both the Python and the Java of every upcall (the
 * caller in worker mode, the interpreter's thread otherwise), so time the thread spent waiting for
 * a core, which other processes on a shared machine take, is left out.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class CpuTime {
    public long cpuNanos;
    public long ops;

    @Setup(Level.Iteration)
    public void reset() {
        cpuNanos = 0;
        ops = 0;
    }

    /**
     * Takes a loop's answer {@code [total, cpuNanos]}, checks the total, counts {@code n}
     * operations; returns the total.
     */
    Object add(Object answer, long expected, int n, String what) {
        if (!(answer instanceof List<?> pair) || pair.size() != 2) {
            throw new IllegalStateException(what + ": expected [total, cpuNanos], got " + answer);
        }
        Pyhost.check(expected, pair.get(0), what);
        cpuNanos += (Long) pair.get(1);
        ops += n;
        return pair.get(0);
    }

    /** Python: {@code timed(name, n)} runs the loop function {@code name(n)} and answers [its total, thread CPU ns]. */
    static final String TIMED = """
            import time as _time
            def timed(name, n, _clock=_time.thread_time_ns):
                f = globals()[name]
                start = _clock()
                total = f(n)
                return [total, _clock() - start]
            """;
}
