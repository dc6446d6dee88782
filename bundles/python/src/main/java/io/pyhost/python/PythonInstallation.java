package io.pyhost.python;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A CPython installation that is ready to load: the prefix to use as {@code PYTHONHOME}, the
 * shared library to {@code dlopen}, and the version.
 *
 * <p>Immutable and thread-safe. Creating one checks nothing; {@link DistributionCache} and the
 * configuration check hand out only installations whose files exist.
 *
 * @param home    {@code PYTHONHOME}: the prefix under which {@code lib/pythonX.Y} lies
 * @param library the shared library, e.g. {@code <home>/libpython3.14.so.1.0}
 * @param version {@code major.minor.micro} (e.g. {@code 3.14.3}), or only {@code major.minor}
 *                where a configured Python ships no headers to read the micro version from
 */
public record PythonInstallation(Path home, Path library, String version) {
    public PythonInstallation {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(version, "version");
    }
}
