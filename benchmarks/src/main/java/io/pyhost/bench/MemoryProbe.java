package io.pyhost.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.pyhost.api.PyContext;
import io.pyhost.core.ContextEngine;

/**
 * Resident memory added per context: run in a JVM of its own per mode (the runner starts it with
 * a fixed, pre-touched heap so that Java heap growth does not show up as RSS), it opens one
 * context to get every one-time cost out of the way, reads {@code VmRSS} from
 * {@code /proc/self/status}, opens N more contexts, reads it again and prints one JSON line.
 *
 * <pre>java FLAGS -Xms256m -Xmx256m -XX:+AlwaysPreTouch -cp pyhost-benchmarks.jar io.pyhost.bench.MemoryProbe MODE empty|realistic N</pre>
 *
 * MODE is worker, subinterp, owngil or graalpy (GraalPy contexts on one shared engine; needs the
 * GraalPy jars on the module path).
 */
public final class MemoryProbe {
    private MemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String preload = args[1].equals("realistic") ? Workloads.REALISTIC_PRELOAD : null;
        int count = Integer.parseInt(args[2]);
        Opener opener = mode.equals("graalpy") ? GraalPyContexts.opener(preload) : pyhost(mode, preload);
        List<AutoCloseable> contexts = new ArrayList<>();
        contexts.add(opener.open());
        settle();
        long before = rssKb();
        int threadsBefore = Thread.activeCount();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            contexts.add(opener.open());
        }
        long createMs = (System.nanoTime() - start) / 1_000_000;
        settle();
        long after = rssKb();
        int threadsAfter = Thread.activeCount();
        System.out.printf("{\"mode\": \"%s\", \"preload\": \"%s\", \"contexts\": %d, \"rssBeforeKb\": %d, \"rssAfterKb\": %d, "
                + "\"perContextKb\": %.1f, \"javaThreadsAdded\": %d, \"createMs\": %d}%n",
                mode, args[1], count, before, after, (after - before) / (double) count, threadsAfter - threadsBefore, createMs);
        for (AutoCloseable c : contexts) {
            c.close();
        }
        System.exit(0);
    }

    @FunctionalInterface
    interface Opener {
        AutoCloseable open() throws Exception;
    }

    private static Opener pyhost(String mode, String preload) {
        ContextEngine engine = Pyhost.engine(preload);
        return () -> {
            PyContext ctx = Pyhost.create(engine, mode);
            ctx.eval("1"); // the context answers: not a half-made one
            return ctx;
        };
    }

    private static void settle() throws InterruptedException {
        System.gc();
        Thread.sleep(300);
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
