package io.pyhost.examples.greetings.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Greets someone. The example's implementation is Python: the preload fragment of
 * io.pyhost.examples.greetings.python registers an object with a {@code greet} method through
 * {@code pyhost.register('io.pyhost.examples.greetings.api.Greeter', ...)}, with the service
 * property {@code language=python}. Java finds it like any other service.
 *
 * <p>A Python implementation runs in the interpreter that registered it: calls are serialized
 * with that context's other calls and bounded by its call timeout; a Python exception reaches
 * the caller as {@code io.pyhost.api.PyException}, and a call after the registering context
 * closed throws {@link IllegalStateException}.
 */
@ConsumerType
public interface Greeter {
    /** The greeting for {@code name}. */
    String greet(String name);
}
