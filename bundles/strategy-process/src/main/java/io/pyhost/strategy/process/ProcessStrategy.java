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
            Files.write(target, source.readAllBytes());
            this.server = target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the child's server " + SERVER, e);
        }
    }

    @Override
    public ProvidedContext openContext(ContextRequest request) {
        return ProcessContext.start(request, server, spawner);
    }

    /** A process context is sandboxed unless {@code withSandbox(false)}: the kernel refuses it new processes. */
    @Override
    public boolean sandboxByDefault() {
        return true;
    }

    /** Core has closed this strategy's contexts already; a child left over dies with the spawner thread. */
    @Deactivate
    void deactivate() {
        spawner.shutdown();
    }
}
