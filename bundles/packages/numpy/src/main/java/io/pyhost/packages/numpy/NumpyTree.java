package io.pyhost.packages.numpy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import io.pyhost.python.cache.JarTree;
import io.pyhost.python.cache.UnpackCache;

/**
 * numpy and OpenBLAS unpacked once per machine, from the two bytedeco jars nested in this bundle,
 * into one directory of a {@link UnpackCache}:
 * <pre>
 * numpy-2.4.2-0123456789abcdef/python/numpy/...         the package (sys.path gets python/)
 * numpy-2.4.2-0123456789abcdef/python/numpy/_distributor_init.py   pyhost's, refusing sub-interpreters
 * numpy-2.4.2-0123456789abcdef/lib/libopenblas.so.0     and the three libraries it needs
 * </pre>
 * The directory's key is the SHA-256 of both jars' checksums and of pyhost's
 * {@code _distributor_init.py}, so a change to any of them makes a new directory. Plain Java:
 * the unit tests use it from the class path.
 *
 * <p>Cost: the first unpack on a machine (1,060 files, 80 MB) takes a second or two; later, a
 * marker read and a few file-status calls.
 */
public record NumpyTree(Path directory, boolean unpackedNow) {
    /** System property naming the cache root of package bundles. */
    public static final String CACHE_ROOT_PROPERTY = "pyhost.packages.cache";

    /** OpenBLAS's libraries, each after the ones it needs: loaded in this order. */
    static final List<String> LIBRARIES = List.of("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0");

    static final String NUMPY_PREFIX = "org/bytedeco/numpy/linux-x86_64/python/";
    static final String OPENBLAS_PREFIX = "org/bytedeco/openblas/linux-x86_64/";
    static final String SHIM = "_distributor_init.py";

    private static final String PROPERTIES = "/io/pyhost/packages/numpy/numpy-package.properties";

    /** The directory to put on {@code sys.path}: it holds {@code numpy/}. */
    public Path pythonDir() {
        return directory.resolve("python");
    }

    /** OpenBLAS's libraries in the order to load them. */
    public List<Path> libraries() {
        return LIBRARIES.stream().map(directory.resolve("lib")::resolve).toList();
    }

    /**
     * The cache root when nothing is configured: the system property {@value #CACHE_ROOT_PROPERTY}
     * if set, else {@code ${user.home}/.cache/pyhost/packages}.
     */
    public static Path defaultRoot() {
        String configured = System.getProperty(CACHE_ROOT_PROPERTY, "").trim();
        if (!configured.isEmpty()) return Path.of(configured);
        return Path.of(System.getProperty("user.home"), ".cache", "pyhost", "packages");
    }

    /**
     * Unpacks (once) the jars nested in this bundle, found through this class's class loader.
     *
     * @param version numpy's version, naming the directory
     */
    public static NumpyTree installEmbedded(Path cacheRoot, String version) throws IOException {
        Properties entries = new Properties();
        try (InputStream in = NumpyTree.class.getResourceAsStream(PROPERTIES)) {
            if (in == null) throw new NoSuchFileException(PROPERTIES, null, "missing from the class path");
            entries.load(in);
        }
        Nested numpy = Nested.of(entries.getProperty("numpy.entry"));
        Nested openblas = Nested.of(entries.getProperty("openblas.entry"));
        byte[] shim;
        try (InputStream in = NumpyTree.class.getResourceAsStream(SHIM)) {
            if (in == null) throw new NoSuchFileException(SHIM, null, "missing beside " + NumpyTree.class.getName());
            shim = in.readAllBytes();
        }
        String key = JarTree.sha256(numpy.sha256(), openblas.sha256(), JarTree.sha256(new java.io.ByteArrayInputStream(shim)));
        UnpackCache cache = new UnpackCache(cacheRoot, "set the system property " + CACHE_ROOT_PROPERTY + " to a writable directory");
        UnpackCache.Outcome outcome = cache.install("numpy-" + version, key, NumpyTree::verify, staging -> {
            Path python = Files.createDirectories(staging.resolve("python"));
            int files = JarTree.extract(numpy.jar()::openStream, numpy.sha256(), "the numpy jar", python, JarTree.under(NUMPY_PREFIX));
            Files.write(python.resolve("numpy").resolve(SHIM), shim);
            Path lib = Files.createDirectories(staging.resolve("lib"));
            files += JarTree.extract(openblas.jar()::openStream, openblas.sha256(), "the OpenBLAS jar", lib,
                    name -> name.startsWith(OPENBLAS_PREFIX) && LIBRARIES.contains(name.substring(OPENBLAS_PREFIX.length()))
                            ? name.substring(OPENBLAS_PREFIX.length()) : null);
            return files;
        });
        return new NumpyTree(outcome.directory(), outcome.unpackedNow());
    }

    /** What a complete tree has: numpy with pyhost's distributor init, and every library. */
    static void verify(Path directory) throws IOException {
        Path numpy = directory.resolve("python").resolve("numpy");
        for (Path required : List.of(numpy.resolve("__init__.py"), numpy.resolve(SHIM))) {
            if (!Files.isRegularFile(required)) throw new NoSuchFileException(required.toString(), null, "numpy file missing");
        }
        if (!Files.readString(numpy.resolve(SHIM)).contains("io.pyhost.package.numpy")) {
            throw new IOException(numpy.resolve(SHIM) + " is numpy's own, not pyhost's");
        }
        for (String library : LIBRARIES) {
            Path file = directory.resolve("lib").resolve(library);
            if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "OpenBLAS library missing");
        }
    }

    /** A jar nested in this bundle with the checksum the build wrote beside it (or computed now). */
    private record Nested(URL jar, String sha256) {
        static Nested of(String entry) throws IOException {
            if (entry == null || entry.isBlank() || entry.contains("${")) {
                throw new IOException(PROPERTIES + " names no nested jar: " + entry);
            }
            URL jar = NumpyTree.class.getResource("/" + entry);
            if (jar == null) throw new NoSuchFileException(entry, null, "not in the bundle (build bundles/packages/numpy first)");
            String sha256 = JarTree.builtChecksum(NumpyTree.class, entry);
            if (sha256 == null) {
                try (InputStream in = jar.openStream()) {
                    sha256 = JarTree.sha256(in);
                }
            }
            return new Nested(jar, sha256);
        }
    }
}
