package io.pyhost.spi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import io.pyhost.api.ContextOptions;
import io.pyhost.api.Fragment;

/**
 * What core hands a {@link ContextProvider} to open one context.
 *
 * @param id            the context's id, unique in this JVM (core's sequence, shared with every mode)
 * @param mode          the mode asked for
 * @param options       the options as the caller gave them
 * @param sandbox       whether the context is sandboxed: {@link ContextOptions#sandbox()}, or the
 *                      strategy's {@link InterpreterStrategy#sandboxByDefault()} where that is null
 * @param paths         the effective preload's {@code sys.path} entries, in order
 * @param imports       the effective preload's imports, in order
 * @param fragments     the effective preload's fragments in the order they run (plugins' fragments,
 *                      then the application code); each {@link Fragment#origin()} is the file name
 *                      its code is compiled with. {@link ContextOptions#preload()} runs after them,
 *                      compiled as {@value Fragment#CONTEXT}
 * @param pythonHome    {@code PYTHONHOME} of the CPython core runs ({@link PythonDistribution#home()})
 * @param pythonLibrary its shared library ({@link PythonDistribution#library()})
 * @param pythonVersion its version
 * @param callTimeout   the bound of every call: the options' {@code callTimeout}, else core's configured
 *                      default; null for none
 * @param closeTimeout  how long closing may take before the provider gives up waiting politely
 * @param closed        to run once when the context is closed (it leaves {@code contexts()} then)
 * @param java          what the context's {@code pyhost} module reaches in Java; null: nothing (its
 *                      functions and services are unavailable)
 */
public record ContextRequest(long id, String mode, ContextOptions options, boolean sandbox, List<String> paths,
        List<String> imports, List<Fragment> fragments, Path pythonHome, Path pythonLibrary, PythonVersion pythonVersion,
        Duration callTimeout, Duration closeTimeout, Runnable closed, JavaAccess java) {

    /** A request whose context reaches nothing in Java. */
    public ContextRequest(long id, String mode, ContextOptions options, boolean sandbox, List<String> paths, List<String> imports,
            List<Fragment> fragments, Path pythonHome, Path pythonLibrary, PythonVersion pythonVersion, Duration callTimeout,
            Duration closeTimeout, Runnable closed) {
        this(id, mode, options, sandbox, paths, imports, fragments, pythonHome, pythonLibrary, pythonVersion, callTimeout, closeTimeout,
                closed, null);
    }

    public ContextRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(options, "options");
        paths = List.copyOf(paths);
        imports = List.copyOf(imports);
        fragments = List.copyOf(fragments);
        Objects.requireNonNull(pythonHome, "pythonHome");
        Objects.requireNonNull(pythonVersion, "pythonVersion");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        Objects.requireNonNull(closed, "closed");
    }

    /**
     * The distribution's interpreter program: {@code bin/python3.14} (for version 3.14) under
     * {@link #pythonHome()}, else {@code bin/python3}.
     *
     * @throws IllegalStateException neither exists
     */
    public Path pythonExecutable() {
        Path versioned = pythonHome.resolve("bin/python" + pythonVersion.major() + "." + pythonVersion.minor());
        if (Files.isExecutable(versioned)) {
            return versioned;
        }
        Path plain = pythonHome.resolve("bin/python" + pythonVersion.major());
        if (Files.isExecutable(plain)) {
            return plain;
        }
        throw new IllegalStateException("no Python program in " + pythonHome.resolve("bin") + " (looked for "
                + versioned.getFileName() + " and " + plain.getFileName() + ")");
    }
}
