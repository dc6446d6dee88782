package io.pyhost.python;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pyhost.python.cache.JarTree;
import io.pyhost.python.cache.UnpackCache;

/**
 * Unpacks the CPython tree of a bytedeco {@code cpython-*-linux-x86_64.jar} once per machine into
 * a cache directory and hands out the unpacked {@link PythonInstallation}. Plain Java, no OSGi:
 * core's unit tests call {@link #embeddedFromJar(Path, Path)} or
 * {@link #embeddedFromClasspath(Path)} straight from the class path.
 *
 * <h2>Layout of the cache root</h2>
 * <pre>
 * cpython-3.14.3-0123456789abcdef/        PYTHONHOME; libpython3.14.so.1.0, lib/python3.14, bin, include
 * cpython-3.14.3-0123456789abcdef/{@value #MARKER_FILE}   the jar's full SHA-256, written last
 * cpython-3.14.3-0123456789abcdef.lock    FileChannel lock that serializes unpackers across JVMs
 * </pre>
 * The directory name is the Python version (from the jar's file name) plus the first 16 hex
 * digits of the jar's SHA-256, so two different jars never share a directory and a new jar never
 * overwrites a tree that a running JVM has loaded.
 *
 * <h2>Threads and processes</h2>
 * Every method is thread-safe, and any number of JVMs may use one cache root at once: locking,
 * the marker written last and the atomic publish are {@link UnpackCache}'s. A directory whose
 * marker is missing or holds another checksum, or that lacks libpython or the standard library,
 * is not trusted: it is moved aside and unpacked again.
 *
 * <h2>Cost</h2>
 * Unpacking CPython 3.14.3 (about 3,300 files, 95 MB) takes one to two seconds. Finding a
 * complete tree costs a marker read and a few file-status calls (well under a millisecond) once
 * the checksum is known. The nested jar's checksum is computed by the build; for other jars,
 * hashing 27 MB costs 100-150 ms in a fresh JVM, and {@link #sha256(Path)} remembers the result
 * for the life of the JVM.
 */
public final class DistributionCache {
    /** System property naming the cache root; the configuration's {@code cacheDir} wins over it. */
    public static final String CACHE_ROOT_PROPERTY = "pyhost.python.cache";
    /** File in an unpacked tree that holds the full SHA-256 of the jar it came from; written last. */
    public static final String MARKER_FILE = UnpackCache.MARKER_FILE;
    /** Where the Python tree lies inside the bytedeco jar. */
    public static final String TREE_PREFIX = "org/bytedeco/cpython/linux-x86_64/";

    /** Classpath resource, written by the build, that names the nested jar's entry. */
    static final String EMBEDDED_PROPERTIES = "/io/pyhost/python/embedded-cpython.properties";

    private static final System.Logger LOG = System.getLogger(DistributionCache.class.getName());
    private static final Pattern JAR_VERSION = Pattern.compile("cpython-(\\d+\\.\\d+\\.\\d+)");

    /** Opens the bytedeco jar's bytes; {@link #install} calls it only when it must unpack. */
    @FunctionalInterface
    public interface JarStream extends JarTree.Source {
    }

    /**
     * What {@link #install} did.
     *
     * @param installation the ready installation
     * @param unpackedNow  true when this call unpacked the tree, false when it found it complete
     */
    public record Outcome(PythonInstallation installation, boolean unpackedNow) {}

    private final UnpackCache cache;

    /** A cache rooted at {@code root}; nothing is created until something is installed. */
    public DistributionCache(Path root) {
        this.cache = new UnpackCache(root, "set the system property " + CACHE_ROOT_PROPERTY
                + " or the configuration property cacheDir of io.pyhost.python to a writable directory");
    }

    /** The directory that holds the unpacked trees. */
    public Path root() {
        return cache.root();
    }

    /**
     * The cache root when nothing is configured: the system property {@value #CACHE_ROOT_PROPERTY}
     * if set, else {@code ${user.home}/.cache/pyhost/python}.
     */
    public static Path defaultRoot() {
        String configured = System.getProperty(CACHE_ROOT_PROPERTY, "").trim();
        if (!configured.isEmpty()) return Path.of(configured);
        return Path.of(System.getProperty("user.home"), ".cache", "pyhost", "python");
    }

    /**
     * Unpacks (once) the bytedeco CPython jar at {@code bytedecoJar} into {@code cacheRoot} and
     * returns the ready installation. This is the entry point for tests outside OSGi.
     *
     * @param bytedecoJar e.g. {@code ~/.m2/repository/org/bytedeco/cpython/3.14.3-1.5.13/cpython-3.14.3-1.5.13-linux-x86_64.jar}
     * @param cacheRoot   the cache root, or null for {@link #defaultRoot()}
     */
    public static PythonInstallation embeddedFromJar(Path bytedecoJar, Path cacheRoot) throws IOException {
        return new DistributionCache(cacheRoot == null ? defaultRoot() : cacheRoot)
                .install(bytedecoJar).installation();
    }

    /**
     * Like {@link #embeddedFromJar} for the jar that ships with this class: the nested
     * {@code cpython/cpython-*.jar} of {@code pyhost-python}, found through this class's class
     * loader (so {@code bundles/python/target/classes} or the {@code pyhost-python} jar must be on
     * the class path). See {@link #installEmbedded()}.
     *
     * @param cacheRoot the cache root, or null for {@link #defaultRoot()}
     * @throws IOException when the nested jar is not on the class path, or unpacking fails
     */
    public static PythonInstallation embeddedFromClasspath(Path cacheRoot) throws IOException {
        return new DistributionCache(cacheRoot == null ? defaultRoot() : cacheRoot).installEmbedded().installation();
    }

    /**
     * Unpacks (once) the CPython jar nested in {@code pyhost-python}, found through this class's
     * class loader (in OSGi: this bundle's). Its checksum comes from the {@code .sha256} file the
     * build put beside it, so finding a complete tree reads no part of the 27 MB jar; without that
     * file the jar is hashed (a few hundred milliseconds in a cold JVM).
     */
    public Outcome installEmbedded() throws IOException {
        String entry = embeddedJarEntry();
        URL jar = DistributionCache.class.getResource("/" + entry);
        if (jar == null) {
            throw new NoSuchFileException(entry, null, "not on the class path of " + DistributionCache.class.getName()
                    + " (build bundles/python first)");
        }
        String sha256 = builtChecksum(entry);
        if (sha256 == null) {
            long started = System.nanoTime();
            try (InputStream in = jar.openStream()) {
                sha256 = sha256(in);
            }
            LOG.log(Level.INFO, "{0} has no {1}.sha256; computing the checksum took {2} ms", jar, entry,
                    String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
        }
        return install(fileName(entry), sha256, jar::openStream);
    }

    /**
     * The path, inside {@code pyhost-python} (or on the class path), of the nested bytedeco jar,
     * e.g. {@code cpython/cpython-3.14.3-1.5.13-linux-x86_64.jar}.
     */
    public static String embeddedJarEntry() throws IOException {
        try (InputStream in = DistributionCache.class.getResourceAsStream(EMBEDDED_PROPERTIES)) {
            if (in == null) throw new NoSuchFileException(EMBEDDED_PROPERTIES, null, "missing from the class path");
            Properties p = new Properties();
            p.load(in);
            String entry = p.getProperty("entry", "").trim();
            if (entry.isEmpty() || entry.contains("${")) {
                throw new IOException(EMBEDDED_PROPERTIES + " has no resolved 'entry': " + entry);
            }
            return entry;
        }
    }

    /** The SHA-256 that the build wrote beside the nested jar, or null if there is none. */
    static String builtChecksum(String entry) throws IOException {
        return JarTree.builtChecksum(DistributionCache.class, entry);
    }

    /**
     * Unpacks the jar at {@code bytedecoJar} unless a complete tree for it exists. The jar's
     * checksum is computed once per JVM (see {@link #sha256(Path)}).
     */
    public Outcome install(Path bytedecoJar) throws IOException {
        String sha256 = sha256(bytedecoJar);
        return install(fileName(bytedecoJar.toString()), sha256,
                () -> Files.newInputStream(bytedecoJar));
    }

    /**
     * Unpacks the jar that {@code source} opens, unless a complete tree for {@code sha256} exists.
     * The bytes are checked against {@code sha256} while they are unpacked; a mismatch fails and
     * leaves nothing behind.
     *
     * @param jarName the jar's file name; its {@code cpython-X.Y.Z} part names the directory
     * @param sha256  the jar's SHA-256 as lowercase hex (see {@link #sha256(InputStream)})
     * @param source  opens the jar's bytes; called only when the tree must be unpacked
     */
    public Outcome install(String jarName, String sha256, JarStream source) throws IOException {
        Objects.requireNonNull(source, "source");
        UnpackCache.Outcome outcome = cache.install(treeName(jarName), sha256, DistributionCache::describe, staging -> {
            int files = JarTree.extract(source, sha256, "the CPython jar", staging, JarTree.under(TREE_PREFIX));
            if (files == 0) throw new IOException("the jar has no entries under " + TREE_PREFIX + "; is it a bytedeco cpython jar?");
            return files;
        });
        PythonInstallation installation = describe(outcome.directory());
        if (outcome.unpackedNow()) LOG.log(Level.INFO, "CPython {0} is ready in {1}", installation.version(), installation.home());
        return new Outcome(installation, outcome.unpackedNow());
    }

    /** The directory that holds (or will hold) the tree of the jar named {@code jarName}. */
    public Path directoryFor(String jarName, String sha256) {
        return cache.directoryFor(treeName(jarName), sha256);
    }

    /** {@code cpython-X.Y.Z}, from the jar's file name. */
    private static String treeName(String jarName) {
        Matcher m = JAR_VERSION.matcher(jarName == null ? "" : jarName);
        return "cpython-" + (m.find() ? m.group(1) : "unknown");
    }

    /**
     * The SHA-256 of a jar file as lowercase hex, remembered for the life of the JVM as long as
     * the file's size and modification time stay the same. Reads the whole file the first time
     * (100-150 ms for 27 MB in a fresh JVM).
     */
    public static String sha256(Path file) throws IOException {
        return JarTree.sha256(file);
    }

    /** The SHA-256 of everything {@code in} yields, as lowercase hex. Reads {@code in} to its end. */
    public static String sha256(InputStream in) throws IOException {
        return JarTree.sha256(in);
    }

    /** Reads version and library of an unpacked tree, failing if either is missing. */
    static PythonInstallation describe(Path home) throws IOException {
        Path patchlevel = onlyPatchlevel(home);
        String version = PythonVersionProbe.fromPatchlevel(patchlevel)
                .orElseThrow(() -> new IOException(patchlevel + " has no PY_VERSION"));
        String majorMinor = version.substring(0, version.lastIndexOf('.'));
        Path library = home.resolve("libpython" + majorMinor + ".so.1.0");
        if (!Files.isRegularFile(library)) throw new NoSuchFileException(library.toString(), null, "library missing");
        Path os = home.resolve("lib").resolve("python" + majorMinor).resolve("os.py");
        if (!Files.isRegularFile(os)) throw new NoSuchFileException(os.toString(), null, "standard library missing");
        return new PythonInstallation(home, library, version);
    }

    private static Path onlyPatchlevel(Path home) throws IOException {
        Path found = null;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(home.resolve("include"), "python3*")) {
            for (Path dir : dirs) {
                Path candidate = dir.resolve("patchlevel.h");
                if (Files.isRegularFile(candidate)) {
                    if (found != null) throw new IOException("more than one patchlevel.h under " + home.resolve("include"));
                    found = candidate;
                }
            }
        }
        if (found == null) throw new NoSuchFileException(home.resolve("include/python3.*/patchlevel.h").toString());
        return found;
    }

    private static String fileName(String path) {
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }
}
