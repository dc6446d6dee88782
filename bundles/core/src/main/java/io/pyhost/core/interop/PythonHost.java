package io.pyhost.core.interop;

import io.pyhost.core.bridge.GilTask;

/**
 * What the Python code a thread runs belongs to: a context, or the preload of an interpreter.
 * It owns what that code registers as OSGi services ({@code pyhost.register}: Java's calls on
 * them run here, and the registrations end with it) and receives what the code prints and logs.
 */
public interface PythonHost {
    /**
     * Runs {@code work} in this host's interpreter, GIL held. {@code work} throws
     * {@link io.pyhost.core.bridge.Values.ConversionException} when it left a Python exception
     * raised; the host turns that into a {@link io.pyhost.api.PyException}. Throws
     * {@link IllegalStateException} once the host is closed.
     */
    <T> T run(GilTask<T> work);

    /** For messages: "context 12 (owngil)", "the preload of the main interpreter". */
    String describe();

    /** A complete line the code wrote to {@code sys.stdout} ({@code error}: {@code sys.stderr}); GIL released. */
    default void printed(boolean error, String line) {
        PythonLog.output(describe(), error, line);
    }

    /**
     * A new reference to a {@code memoryview} over {@code segment} for the call running now (GIL
     * held): released when that call ends. Only a context's call can take one.
     */
    default io.pyhost.core.bridge.PyRef shareMemory(java.lang.foreign.MemorySegment segment) {
        throw new IllegalArgumentException("a MemorySegment reaches Python only as an argument or local of a context's call, not in "
                + describe());
    }

    /** The host whose code the current thread runs (a context's call, a preload), or null. */
    static PythonHost current() {
        return Hosts.CURRENT.get();
    }

    /** Runs {@code body} with {@code host} as the current thread's host. */
    static <T> T with(PythonHost host, java.util.function.Supplier<T> body) {
        PythonHost outer = Hosts.CURRENT.get();
        Hosts.CURRENT.set(host);
        try {
            return body.get();
        } finally {
            Hosts.CURRENT.set(outer);
        }
    }

    /** Holder of the thread-local (interfaces cannot have private static fields). */
    final class Hosts {
        static final ThreadLocal<PythonHost> CURRENT = new ThreadLocal<>();

        private Hosts() {
        }
    }
}
