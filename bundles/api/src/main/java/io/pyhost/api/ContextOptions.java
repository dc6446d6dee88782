package io.pyhost.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How to create a context. Immutable; start from {@link #mode(String)} and refine with the
 * {@code with...} methods.
 *
 * @param mode        the strategy: {@code worker}, {@code subinterp}, {@code owngil}, {@code process}
 * @param preload     code run after the shared preload, for this context only; {@code null} for none
 * @param callTimeout bound of every eval/exec/call; {@code null} for the configured default
 *                    (none unless configured)
 * @param modeWait    how long {@code create} waits for an absent mode's strategy to appear
 *                    (during a bundle update, say); {@code null} or zero fails at once
 * @param sandbox     a guard against accidents and casual misuse, not a security boundary (it runs
 *                    in-process, in Python: hostile code needs a separate process). Refuses, with
 *                    {@code RuntimeError("pyhost sandbox refuses ...")} (imports: {@code ImportError}),
 *                    the context staying usable: process creation ({@code os.system}, {@code os.fork},
 *                    {@code os.forkpty}, {@code os.exec*}, {@code os.spawn*}, {@code os.posix_spawn*},
 *                    {@code subprocess.Popen}, {@code _posixsubprocess.fork_exec}); ending or signalling
 *                    the process ({@code os._exit}, {@code os.abort}, {@code os.kill}, {@code os.killpg},
 *                    {@code signal.raise_signal}, {@code signal.pthread_kill}, {@code signal.alarm},
 *                    {@code signal.setitimer}, {@code signal.pidfd_send_signal}, {@code faulthandler});
 *                    {@code ctypes} (import, and every ctypes operation where it was loaded before);
 *                    {@code resource.setrlimit}/{@code prlimit}, {@code sys.remote_exec}, creating
 *                    interpreters; (re)importing {@code posix}, {@code _posixsubprocess}, {@code _signal},
 *                    {@code _imp}, {@code _ctypes}, {@code faulthandler}, {@code _interpreters} and
 *                    {@code _test*} modules, and {@code _imp.create_builtin} of them;
 *                    {@code gc.get_objects}/{@code get_referrers}/{@code get_referents},
 *                    {@code sys.settrace}/{@code setprofile} (and their all-threads forms),
 *                    {@code sys.monitoring.register_callback}; reading or replacing the code of the
 *                    sandbox's own functions. Sub-interpreter modes sandbox the whole interpreter, for
 *                    good. {@code worker} sandboxes the thread running each call of the context, and
 *                    also refuses there {@code sys._getframe}, {@code sys._current_frames},
 *                    {@code sys._current_exceptions} and starting threads; it cannot stop the call from
 *                    changing modules that unsandboxed code later uses (shared {@code sys.modules}).
 *                    Costs about 0.3 us per audit event and 0.1 us per worker call (see the README).
 *                    {@code null} for the mode's default (on for {@code owngil} and {@code process}, off otherwise). In {@code process}
 *                    the sandbox is the kernel's instead: a seccomp filter refusing process creation and
 *                    limit changes, and 256 open files at most (see the README)
 * @param memoryLimit cap, in bytes, on the context's memory. {@code owngil}: its small-object heap
 *                    (its own obmalloc arenas: every object up to 512 bytes); past it the running
 *                    call gets {@code MemoryError}. {@code process}: the child's whole address space
 *                    ({@code RLIMIT_AS}: every allocation counts, the interpreter's own included);
 *                    past it allocations fail ({@code MemoryError}). Other modes refuse the option.
 *                    {@code null} for none
 * @param output      receives each line the context's Python writes to {@code sys.stdout} (without
 *                    its line end), on the thread that wrote it; {@code null}: the lines go to the log
 *                    ({@code python.output}, INFO) under the context's id, one record per line
 * @param errorOutput the same for {@code sys.stderr} (log level WARNING); {@code null}: to
 *                    {@code output} if set, else to the log
 * @param cpuLimit    the CPU time the context may use, preload excluded, rounded up to whole seconds;
 *                    past it the context is ended by the kernel ({@code RLIMIT_CPU}, SIGXCPU) and closed
 *                    with an {@code IllegalStateException} saying so. Only {@code process} enforces it;
 *                    other modes refuse the option with {@code IllegalArgumentException}. {@code null}
 *                    for none
 */
public record ContextOptions(String mode, String preload, Duration callTimeout, Duration modeWait, Boolean sandbox,
        Long memoryLimit, java.util.function.Consumer<String> output, java.util.function.Consumer<String> errorOutput,
        Duration cpuLimit) {

    public ContextOptions {
        Objects.requireNonNull(mode, "mode");
        if (callTimeout != null && (callTimeout.isNegative() || callTimeout.isZero())) {
            throw new IllegalArgumentException("callTimeout must be positive, was " + callTimeout);
        }
        if (modeWait != null && modeWait.isNegative()) {
            throw new IllegalArgumentException("modeWait must not be negative, was " + modeWait);
        }
        if (memoryLimit != null && memoryLimit <= 0) {
            throw new IllegalArgumentException("memoryLimit must be positive, was " + memoryLimit);
        }
        if (cpuLimit != null && (cpuLimit.isNegative() || cpuLimit.isZero())) {
            throw new IllegalArgumentException("cpuLimit must be positive, was " + cpuLimit);
        }
    }

    /** Options without a CPU limit (the API of version 1.3). */
    public ContextOptions(String mode, String preload, Duration callTimeout, Duration modeWait, Boolean sandbox, Long memoryLimit,
            java.util.function.Consumer<String> output, java.util.function.Consumer<String> errorOutput) {
        this(mode, preload, callTimeout, modeWait, sandbox, memoryLimit, output, errorOutput, null);
    }

    /** Options with a mode, a context preload and a call timeout; every other field at its default. */
    public ContextOptions(String mode, String preload, Duration callTimeout) {
        this(mode, preload, callTimeout, null, null, null);
    }

    /** Options without output sinks (the API of version 1.1). */
    public ContextOptions(String mode, String preload, Duration callTimeout, Duration modeWait, Boolean sandbox, Long memoryLimit) {
        this(mode, preload, callTimeout, modeWait, sandbox, memoryLimit, null, null);
    }

    /** Options for a mode with every other field at its default. */
    public static ContextOptions mode(String mode) {
        return new ContextOptions(mode, null, null, null, null, null);
    }

    /** A copy whose {@code sys.stdout} and {@code sys.stderr} lines go to {@code sink} (see {@link #output()}). */
    public ContextOptions withOutput(java.util.function.Consumer<String> sink) {
        return new ContextOptions(mode, preload, callTimeout, modeWait, sandbox, memoryLimit, sink, errorOutput, cpuLimit);
    }

    /** A copy whose {@code sys.stdout} lines go to {@code out} and {@code sys.stderr} lines to {@code err}. */
    public ContextOptions withOutput(java.util.function.Consumer<String> out, java.util.function.Consumer<String> err) {
        return new ContextOptions(mode, preload, callTimeout, modeWait, sandbox, memoryLimit, out, err, cpuLimit);
    }

    /** A copy with a per-context preload, run after the shared preload. */
    public ContextOptions withPreload(String code) {
        return new ContextOptions(mode, code, callTimeout, modeWait, sandbox, memoryLimit, output, errorOutput, cpuLimit);
    }

    /** A copy whose calls are bounded by {@code timeout}. */
    public ContextOptions withCallTimeout(Duration timeout) {
        return new ContextOptions(mode, preload, timeout, modeWait, sandbox, memoryLimit, output, errorOutput, cpuLimit);
    }

    /** A copy that waits up to {@code wait} for the mode's strategy to be present. */
    public ContextOptions withModeWait(Duration wait) {
        return new ContextOptions(mode, preload, callTimeout, wait, sandbox, memoryLimit, output, errorOutput, cpuLimit);
    }

    /** A copy whose context is held to {@code bytes} of small-object heap (see {@link #memoryLimit()}). */
    public ContextOptions withMemoryLimit(long bytes) {
        return new ContextOptions(mode, preload, callTimeout, modeWait, sandbox, bytes, output, errorOutput, cpuLimit);
    }

    /**
     * A copy whose context may use {@code limit} of CPU time (see {@link #cpuLimit()}); only mode
     * {@code process} enforces it.
     */
    public ContextOptions withCpuLimit(Duration limit) {
        return new ContextOptions(mode, preload, callTimeout, modeWait, sandbox, memoryLimit, output, errorOutput, limit);
    }

    /** A copy with the sandbox switched on or off (see {@link #sandbox()}). */
    public ContextOptions withSandbox(boolean on) {
        return new ContextOptions(mode, preload, callTimeout, modeWait, on, memoryLimit, output, errorOutput, cpuLimit);
    }
}
