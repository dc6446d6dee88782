package io.pyhost.bench;

import java.util.List;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;
import io.pyhost.core.interop.FunctionRegistry;

/**
 * A plain JVM (not JMH) that makes {@code pyhost.call('bench.inc', i)} upcalls in a loop for a
 * while, for a sampling profiler to attach to ({@code benchmarks/profile-upcall} runs it under
 * Linux perf). Prints {@code READY <pid>} once warm, then loops {@code seconds} more seconds.
 *
 * <pre>java -cp pyhost-benchmarks.jar io.pyhost.bench.UpcallProfile MODE WARMUP_SECONDS SECONDS [sandbox|nosandbox] [upcall|service|contextCall]</pre>
 *
 * {@code service} and {@code contextCall} loop {@link PythonServiceBench}'s two benchmarks instead
 * (Java calling a Python service through its proxy, and {@code PyContext.call} of the same function).
 */
public final class UpcallProfile {
    private UpcallProfile() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "worker";
        long warmup = args.length > 1 ? Long.parseLong(args[1]) : 5;
        long seconds = args.length > 2 ? Long.parseLong(args[2]) : 10;
        boolean sandbox = args.length > 3 && args[3].equals("sandbox");
        String target = args.length > 4 ? args[4] : "upcall";
        if (!target.equals("upcall")) {
            services(mode, warmup, seconds, target);
            return;
        }
        FunctionRegistry.shared().add(new FunctionRegistry.Entry("bench.inc", (a, kw) -> (Long) a.get(0) + 1, 0, Long.MAX_VALUE - 7));
        ContextEngine engine = Pyhost.engine(null);
        PyContext ctx = Pyhost.create(engine, ContextOptions.mode(mode).withSandbox(sandbox));
        ctx.exec("""
                import pyhost
                call = pyhost.call
                def upcalls(n):
                    t = 0
                    for i in range(n):
                        t += call('bench.inc', i)
                    return t
                """);
        List<Object> loop = List.of(UpcallBench.LOOP);
        long calls = 0;
        long end = System.nanoTime() + warmup * 1_000_000_000L;
        while (System.nanoTime() < end) {
            ctx.call(null, "upcalls", loop, null);
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        long start = System.nanoTime();
        end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            ctx.call(null, "upcalls", loop, null);
            calls += UpcallBench.LOOP;
        }
        double us = (System.nanoTime() - start) / 1e3 / calls;
        System.out.printf("%s: %d upcalls, %.3f us per upcall%n", mode, calls, us);
        ctx.close();
        engine.closeAll("profile ended");
    }

    private static void services(String mode, long warmup, long seconds, String target) throws Exception {
        PythonServiceBench bench = new PythonServiceBench();
        bench.mode = mode;
        bench.open();
        boolean service = target.equals("service");
        long end = System.nanoTime() + warmup * 1_000_000_000L;
        while (System.nanoTime() < end) {
            long t = service ? bench.service() : bench.contextCall();
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        long calls = 0;
        long start = System.nanoTime();
        end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            long t = service ? bench.service() : bench.contextCall();
            calls += PythonServiceBench.BATCH;
        }
        System.out.printf("%s %s: %d calls, %.3f us per call%n", mode, target, calls, (System.nanoTime() - start) / 1e3 / calls);
        bench.close();
    }
}
