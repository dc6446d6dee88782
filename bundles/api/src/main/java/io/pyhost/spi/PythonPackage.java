package io.pyhost.spi;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A Python package that a package bundle has made ready on this machine (native files unpacked
 * and loaded): core's preload extender adds its {@link #paths()} to {@code sys.path} of new
 * contexts while the service is registered, ordered like the bundle's {@code Python-Path}: after
 * the directories of the package bundles it requires, before those of the bundles that require it.
 *
 * <p>The bundle that registers it declares the package as a capability,
 * {@code Provide-Capability: python.package;python.package=<name>;version:Version=<v>}, so that
 * plugins can require it ({@code Require-Capability: python.package;filter:="(python.package=<name>)"})
 * and the framework refuses them while no bundle provides it.
 *
 * <p>Register it only once everything an {@code import} needs is in place: the extender reads
 * {@link #paths()} once, when the service appears.
 */
@ConsumerType
public interface PythonPackage {
    /** The capability namespace, and the service property that names the package, e.g. {@code numpy}. */
    String NAMESPACE = "python.package";

    /** Service property: the package's version, e.g. {@code 2.4.2}. */
    String VERSION = "python.package.version";

    /** Directories for {@code sys.path}, in order; they exist and stay while the service is registered. */
    List<Path> paths();
}
