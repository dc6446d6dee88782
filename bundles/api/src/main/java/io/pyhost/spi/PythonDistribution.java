package io.pyhost.spi;

import java.nio.file.Path;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A CPython installation that core can load: published by {@code io.pyhost.python}, either the
 * embedded CPython 3.14 (unpacked once per machine into a cache directory) or a system Python
 * configured through ConfigAdmin.
 */
@ProviderType
public interface PythonDistribution {
    /** Service property: {@value #SOURCE_EMBEDDED} or {@value #SOURCE_CONFIGURED}. */
    String SOURCE = "pyhost.python.source";
    String SOURCE_EMBEDDED = "embedded";
    String SOURCE_CONFIGURED = "configured";

    /** {@code PYTHONHOME}: the prefix under which {@code lib/pythonX.Y} lies. */
    Path home();

    /** The shared library to load ({@code libpython3.14.so.1.0}). */
    Path library();

    /** The version as {@code major.minor.micro}, e.g. {@code 3.14.3}. */
    String version();

    /** {@value #SOURCE_EMBEDDED} or {@value #SOURCE_CONFIGURED}. */
    String source();
}
