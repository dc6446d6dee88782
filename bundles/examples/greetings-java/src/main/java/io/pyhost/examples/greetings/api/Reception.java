package io.pyhost.examples.greetings.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Welcomes visitors through the best-ranked {@link Greeter} service there is at the time of the
 * call: a Java component using a service that Python implements. Also a Gogo command
 * ({@code greetings:welcome NAME}, {@code greetings:greeter}) and exported to Python
 * ({@code pyhost.export=true}).
 *
 * <p>Thread-safe. {@link #welcome} costs what the Greeter's {@code greet} costs: for a Python
 * Greeter, a call into its interpreter.
 */
@ProviderType
public interface Reception {
    /**
     * The Greeter's greeting for {@code name}.
     *
     * @throws IllegalStateException when no Greeter service is registered (the Python plugin
     *         registers one only once its preload has run: see the README's worked example)
     */
    String welcome(String name);

    /**
     * The Greeter {@link #welcome} uses now, described by its service properties
     * ({@code language=python, pyhost.host=...}), or {@code "none"}.
     */
    String greeter();
}
