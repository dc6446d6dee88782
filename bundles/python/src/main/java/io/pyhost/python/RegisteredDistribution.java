package io.pyhost.python;

import java.nio.file.Path;

import io.pyhost.spi.PythonDistribution;

/** The published {@link PythonDistribution}: immutable, so any thread may read it. */
record RegisteredDistribution(Path home, Path library, String version, String source) implements PythonDistribution {

    RegisteredDistribution(PythonInstallation installation, String source) {
        this(installation.home(), installation.library(), installation.version(), source);
    }
}
