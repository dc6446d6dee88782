package io.pyhost.examples.greetings.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A counter shared by everyone who uses the service, Python included: the example registers it
 * with {@code pyhost.export=true}, so {@code pyhost.service('io.pyhost.examples.greetings.api.Counter')}
 * finds it. Thread-safe; each call is a few nanoseconds.
 */
@ProviderType
public interface Counter {
    /** Adds one and returns the new count. */
    long next();

    /** Adds {@code n} (may be negative) and returns the new count. */
    long add(int n);

    /** The count now. */
    long current();
}
