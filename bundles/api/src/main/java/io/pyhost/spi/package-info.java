/**
 * What strategy bundles implement ({@link io.pyhost.spi.InterpreterStrategy}) and what they use
 * of core's CPython bridge ({@link io.pyhost.spi.Interpreters}), plus the Python distribution
 * service the {@code io.pyhost.python} bundle publishes ({@link io.pyhost.spi.PythonDistribution}),
 * and what package bundles publish ({@link io.pyhost.spi.PythonPackage}). A strategy that runs its
 * contexts outside this JVM's CPython implements {@link io.pyhost.spi.ContextProvider} (since 1.2).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.pyhost.spi;
