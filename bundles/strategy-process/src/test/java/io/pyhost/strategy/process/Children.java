package io.pyhost.strategy.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;
import io.pyhost.python.DistributionCache;
import io.pyhost.python.PythonInstallation;
import io.pyhost.spi.ContextRequest;
import io.pyhost.spi.PythonVersion;

/** Real children of the embedded CPython for unit tests, made as core's request would make them. */
final class Children {
    private static PythonInstallation python;
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("test-spawner").factory());
    private static ProcessStrategy strategy;
    private static long ids = 1000;

    private Children() {
    }

    static synchronized ProcessContext open(ContextOptions options, List<String> paths, List<String> imports, List<Fragment> fragments) {
        ContextRequest request = request(options, paths, imports, fragments);
        return (ProcessContext) strategy.openContext(request);
    }

    /** A request as core would make it, with a new id. */
    static synchronized ContextRequest request(ContextOptions options, List<String> paths, List<String> imports, List<Fragment> fragments) {
        return request(options, paths, imports, fragments, null);
    }

    /** A context whose pyhost module reaches {@code java}. */
    static synchronized ProcessContext open(ContextOptions options, io.pyhost.spi.JavaAccess java) {
        ContextRequest request = request(options, List.of(), List.of(), List.of(), java);
        return (ProcessContext) strategy.openContext(request);
    }

    static synchronized ContextRequest request(ContextOptions options, List<String> paths, List<String> imports, List<Fragment> fragments,
            io.pyhost.spi.JavaAccess java) {
        if (python == null) {
            try {
                python = DistributionCache.embeddedFromClasspath(null);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            strategy = new ProcessStrategy((Path) null);
        }
        boolean sandbox = options.sandbox() == null || options.sandbox();
        return new ContextRequest(++ids, "process", options, sandbox, paths, imports, fragments, python.home(),
                python.library(), PythonVersion.parse(python.version()), options.callTimeout(), Duration.ofSeconds(5), () -> { }, java);
    }

    static ProcessContext open(ContextOptions options) {
        return open(options, List.of(), List.of(), List.of());
    }

    static ProcessContext open() {
        return open(ContextOptions.mode("process"));
    }
}
