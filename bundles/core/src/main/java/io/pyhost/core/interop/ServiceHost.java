package io.pyhost.core.interop;

import io.pyhost.core.bridge.GilTask;

/**
 * Where a Python object registered as an OSGi service ({@code pyhost.register}) runs when Java
 * calls it, and whose end ends the registration: a context (its calls serialized with the
 * context's other calls, bounded by its call timeout), or the preload of an interpreter.
 */
public interface ServiceHost {
    /**
     * Runs {@code work} in this host's interpreter, GIL held. {@code work} throws
     * {@link io.pyhost.core.bridge.Values.ConversionException} when it left a Python exception
     * raised; the host turns that into a {@link io.pyhost.api.PyException}. Throws
     * {@link IllegalStateException} once the host is closed.
     */
    <T> T run(GilTask<T> work);

    /** For messages: "context 12 (owngil)", "the preload of the main interpreter". */
    String describe();

    /** The host whose code the current thread runs (a context's call, a preload), or null. */
    static ServiceHost current() {
        return Hosts.CURRENT.get();
    }

    /** Runs {@code body} with {@code host} as the current thread's host. */
    static <T> T with(ServiceHost host, java.util.function.Supplier<T> body) {
        ServiceHost outer = Hosts.CURRENT.get();
        Hosts.CURRENT.set(host);
        try {
            return body.get();
        } finally {
            Hosts.CURRENT.set(outer);
        }
    }

    /** Holder of the thread-local (interfaces cannot have private static fields). */
    final class Hosts {
        static final ThreadLocal<ServiceHost> CURRENT = new ThreadLocal<>();

        private Hosts() {
        }
    }
}
