package io.pyhost.strategy.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import io.pyhost.api.ContextFactory;
import io.pyhost.spi.ContextProvider;
import io.pyhost.spi.ContextRequest;
import io.pyhost.spi.InterpreterStrategy;
import io.pyhost.spi.ProvidedContext;

/**
 * The {@code process} mode: each context is a child process running the distribution's own
 * {@code python3.X} with {@code pyhost_child.py}, so a crash, {@code os._exit}, a C loop or a memory
 * bomb ends that context and nothing else, and limits are the kernel's: {@code memoryLimit} is
 * {@code RLIMIT_AS}, {@code cpuLimit} {@code RLIMIT_CPU}; sandboxed (the default) the child also
 * has a seccomp filter refusing process creation and limit changes, and 256 open files at most.
 * Children never outlive the JVM: each asks the kernel for SIGKILL when the thread that started it
 * ends ({@code PR_SET_PDEATHSIG}), and that thread lives as long as this component.
 */
@Component(service = InterpreterStrategy.class, property = InterpreterStrategy.MODE + "=" + ContextFactory.PROCESS)
public final class ProcessStrategy implements ContextProvider {
    static final String SERVER = "pyhost_child.py";

    private final Path server;
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("pyhost-process-spawner").factory());
    private final ProcessPool pool;

    @Activate
    public ProcessStrategy(BundleContext bundleContext) {
        this(bundleContext.getDataFile(SERVER) != null ? bundleContext.getDataFile(SERVER).toPath() : null);
    }

    /** Writes the child's server to {@code file} (a temporary file where null). */
    ProcessStrategy(Path file) {
        try (InputStream source = ProcessStrategy.class.getResourceAsStream(SERVER)) {
            if (source == null) {
                throw new IllegalStateException(SERVER + " is missing from the bundle");
            }
            Path target = file != null ? file : Files.createTempFile("pyhost_child", ".py");
            if (file == null) {
                target.toFile().deleteOnExit();
            }
            // Written beside and moved over the old file in one step: a child of the build this one replaces (a bundle
            // update keeps the data area) may be starting from it right now, and must not read it half written.
            Path written = Files.createTempFile(target.toAbsolutePath().getParent(), "pyhost_child", ".tmp");
            Files.write(written, source.readAllBytes());
            Files.move(written, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            this.server = target;
            this.pool = new ProcessPool(target, spawner);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the child's server " + SERVER, e);
        }
    }

    @Override
    public ProvidedContext openContext(ContextRequest request) {
        ProcessContext pooled = pool.take(request);
        if (pooled != null) {
            try {
                return ProcessContext.adopt(pooled, request);
            } catch (IllegalStateException e) {
                if (!pooled.isClosed()) {
                    throw e;
                }
                // the pooled child died as it was handed out: start a fresh one
            }
        }
        return ProcessContext.start(request, server, spawner);
    }

    /**
     * Keeps {@code size} children ready with the shared preload applied ({@code warmPool = process=N});
     * core calls it again when the preload changes, and children prepared for another preload are ended.
     */
    @Override
    public void warmPool(int size, java.util.function.Supplier<ContextRequest> template) {
        pool.configure(size, template);
    }

    /** How many children the warm pool holds ready now (benchmarks and diagnostics). */
    public int warmPoolReady() {
        return pool.readyCount();
    }

    /** The warm pool, for tests. */
    ProcessPool pool() {
        return pool;
    }

    /** A process context is sandboxed unless {@code withSandbox(false)}: the kernel refuses it new processes. */
    @Override
    public boolean sandboxByDefault() {
        return true;
    }

    /** Core has closed this strategy's contexts already; the pool's children are ended; a child left over dies with the spawner thread. */
    @Deactivate
    void deactivate() {
        pool.stop();
        spawner.shutdown();
    }
}
