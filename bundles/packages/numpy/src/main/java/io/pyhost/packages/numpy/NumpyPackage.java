package io.pyhost.packages.numpy;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.osgi.annotation.bundle.Capability;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.pyhost.api.RequirePreloadExtender;
import io.pyhost.python.cache.NativeLibraries;
import io.pyhost.spi.PythonDistribution;
import io.pyhost.spi.PythonPackage;

/**
 * The python.package {@value #NAME}: numpy {@value #VERSION} with OpenBLAS, built for CPython
 * 3.14 (the embedded distribution). Activation unpacks both once per machine ({@link NumpyTree}),
 * loads OpenBLAS's libraries into the global symbol namespace, and only then offers the
 * directory holding {@code numpy/}: core's preload extender puts it on {@code sys.path} of new
 * contexts, so no {@code import numpy} can come before the libraries it needs.
 *
 * <p>numpy works in worker contexts only: in a sub-interpreter its import raises
 * {@code ImportError} ("numpy needs a worker context ..."), from the {@code _distributor_init.py}
 * this bundle ships in numpy's place (see that file for why).
 *
 * <p>Cost: the first activation on a machine unpacks 80 MB (a second or two, on SCR's thread);
 * later ones take milliseconds. The libraries stay loaded for the life of the JVM.
 */
@Component(service = PythonPackage.class, immediate = true, property = {
        PythonPackage.NAMESPACE + "=" + NumpyPackage.NAME,
        PythonPackage.VERSION + "=" + NumpyPackage.VERSION})
@Capability(namespace = PythonPackage.NAMESPACE, name = NumpyPackage.NAME, version = NumpyPackage.VERSION)
@RequirePreloadExtender
public class NumpyPackage implements PythonPackage {
    /** The package's name: the capability's {@code python.package} attribute. */
    public static final String NAME = "numpy";
    /** numpy's version: the capability's {@code version}. */
    public static final String VERSION = "2.4.2";

    private static final System.Logger LOG = System.getLogger(NumpyPackage.class.getName());

    private final List<Path> paths;

    @Activate
    public NumpyPackage(@Reference PythonDistribution python) throws IOException {
        if (!python.version().startsWith("3.14.")) {
            throw new IllegalStateException("io.pyhost.package.numpy holds numpy " + VERSION + " built for CPython 3.14, but the "
                    + python.source() + " Python is " + python.version() + " (" + python.home() + "); numpy is not offered");
        }
        long started = System.nanoTime();
        NumpyTree tree = NumpyTree.installEmbedded(NumpyTree.defaultRoot(), VERSION);
        NativeLibraries.loadGlobally(tree.libraries());
        this.paths = List.of(tree.pythonDir());
        LOG.log(Level.INFO, "numpy {0} ready at {1} ({2}; OpenBLAS loaded; {3} ms)", VERSION, tree.pythonDir(),
                tree.unpackedNow() ? "unpacked now" : "unpacked before",
                String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
    }

    @Override
    public List<Path> paths() {
        return paths;
    }
}
