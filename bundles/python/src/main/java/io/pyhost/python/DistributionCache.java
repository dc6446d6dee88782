package io.pyhost.python;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

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
 * Every method is thread-safe, and any number of JVMs may use one cache root at once: a tree is
 * unpacked into a temporary sibling directory while holding a lock (a JVM-wide lock plus a
 * {@link FileLock} on the {@code .lock} file), its marker is written last, and it is published by
 * one atomic rename. A directory whose marker is missing or holds another checksum is not
 * trusted: it is moved aside and unpacked again. Leftovers of a JVM that died while unpacking are
 * removed by the next unpacker.
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
    public static final String MARKER_FILE = ".pyhost-unpacked";
    /** Where the Python tree lies inside the bytedeco jar. */
    public static final String TREE_PREFIX = "org/bytedeco/cpython/linux-x86_64/";

    /** Classpath resource, written by the build, that names the nested jar's entry. */
    static final String EMBEDDED_PROPERTIES = "/io/pyhost/python/embedded-cpython.properties";

    private static final System.Logger LOG = System.getLogger(DistributionCache.class.getName());
    private static final Pattern JAR_VERSION = Pattern.compile("cpython-(\\d+\\.\\d+\\.\\d+)");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

    /** FileChannel locks belong to the whole JVM, so threads of one JVM take turns here first. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    /** Checksums of jar files on disk, by path, size and modification time. */
    private static final Map<Path, KnownChecksum> CHECKSUMS = new ConcurrentHashMap<>();

    private record KnownChecksum(long size, FileTime modified, String sha256) {}

    /** Opens the bytedeco jar's bytes; {@link #install} calls it only when it must unpack. */
    @FunctionalInterface
    public interface JarStream {
        InputStream open() throws IOException;
    }

    /**
     * What {@link #install} did.
     *
     * @param installation the ready installation
     * @param unpackedNow  true when this call unpacked the tree, false when it found it complete
     */
    public record Outcome(PythonInstallation installation, boolean unpackedNow) {}

    private final Path root;

    /** A cache rooted at {@code root}; nothing is created until something is installed. */
    public DistributionCache(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** The directory that holds the unpacked trees. */
    public Path root() {
        return root;
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
        try (InputStream in = DistributionCache.class.getResourceAsStream("/" + entry + ".sha256")) {
            if (in == null) return null;
            String[] words = new String(in.readNBytes(1024), StandardCharsets.US_ASCII).trim().split("\\s+");
            String sha256 = words[0].toLowerCase(Locale.ROOT);
            if (!sha256.matches("[0-9a-f]{64}")) throw new IOException(entry + ".sha256 holds no SHA-256: " + words[0]);
            return sha256;
        }
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
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, not '" + sha256 + "'");
        }
        Path home = directoryFor(jarName, sha256);
        PythonInstallation ready = completeOrNull(home, sha256, false);
        if (ready != null) return new Outcome(ready, false);

        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new IOException("cannot create the Python cache directory " + root + " (set the system property "
                    + CACHE_ROOT_PROPERTY + " or the configuration property cacheDir of io.pyhost.python to a writable directory)", e);
        }
        Path lockFile = root.resolve(home.getFileName() + ".lock");
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        try {
            jvmLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to unpack into " + home, e);
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockAcrossProcesses(channel, home)) {
            // whoever held the lock before us may have finished the job
            ready = completeOrNull(home, sha256, true);
            if (ready != null) return new Outcome(ready, false);
            return new Outcome(unpack(home, sha256, source), true);
        } finally {
            jvmLock.unlock();
        }
    }

    /** The directory that holds (or will hold) the tree of the jar named {@code jarName}. */
    public Path directoryFor(String jarName, String sha256) {
        Matcher m = JAR_VERSION.matcher(jarName == null ? "" : jarName);
        String version = m.find() ? m.group(1) : "unknown";
        return root.resolve("cpython-" + version + "-" + sha256.substring(0, 16));
    }

    /**
     * The SHA-256 of a jar file as lowercase hex, remembered for the life of the JVM as long as
     * the file's size and modification time stay the same. Reads the whole file the first time
     * (100-150 ms for 27 MB in a fresh JVM).
     */
    public static String sha256(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        BasicFileAttributes attributes = Files.readAttributes(key, BasicFileAttributes.class);
        KnownChecksum known = CHECKSUMS.get(key);
        if (known != null && known.size() == attributes.size() && known.modified().equals(attributes.lastModifiedTime())) {
            return known.sha256();
        }
        String sha256;
        try (InputStream in = Files.newInputStream(key)) {
            sha256 = sha256(in);
        }
        CHECKSUMS.put(key, new KnownChecksum(attributes.size(), attributes.lastModifiedTime(), sha256));
        return sha256;
    }

    /** The SHA-256 of everything {@code in} yields, as lowercase hex. Reads {@code in} to its end. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest digest = newSha256();
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The installation in {@code home} if its marker holds {@code sha256} and its files are there,
     * else null; {@code explain} logs why not (once, under the lock, not on the quick first look).
     */
    private PythonInstallation completeOrNull(Path home, String sha256, boolean explain) {
        Path marker = home.resolve(MARKER_FILE);
        String recorded;
        try {
            recorded = Files.readString(marker, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            if (explain && Files.isDirectory(home)) {
                LOG.log(Level.WARNING, "{0} has no readable {1}; it will be unpacked again", home, MARKER_FILE);
            }
            return null;
        }
        if (!recorded.equals(sha256)) {
            if (explain) LOG.log(Level.WARNING, "{0} holds checksum {1}, expected {2}; it will be unpacked again", marker, recorded, sha256);
            return null;
        }
        try {
            return describe(home);
        } catch (IOException e) {
            if (explain) LOG.log(Level.WARNING, "{0} is marked complete but {1}; it will be unpacked again", home, e.getMessage());
            return null;
        }
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

    /** Blocks until this JVM holds the lock file; callers already hold the JVM-wide lock. */
    private static FileLock lockAcrossProcesses(FileChannel channel, Path home) throws IOException {
        boolean toldWaiting = false;
        while (true) {
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) return lock;
                if (!toldWaiting) {
                    LOG.log(Level.INFO, "Waiting for another process that is unpacking CPython into {0}", home);
                    toldWaiting = true;
                }
                return channel.lock();
            } catch (OverlappingFileLockException e) {
                // another class loader in this JVM (an earlier revision of this bundle) holds it
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting to unpack into " + home, ie);
                }
            }
        }
    }

    /** Runs under both locks: unpack into a temporary sibling, mark it, rename it into place. */
    private PythonInstallation unpack(Path home, String sha256, JarStream source) throws IOException {
        String name = home.getFileName().toString();
        removeLeftovers(name);
        long started = System.nanoTime();
        LOG.log(Level.INFO, "Unpacking CPython into {0} (once per machine; takes a second or two)", home);
        Path staging = Files.createTempDirectory(root, "." + name + ".tmp-");
        try {
            int files = extract(source, sha256, staging);
            PythonInstallation staged = describe(staging);
            // the marker goes last: a tree with a valid marker is a complete tree
            Files.writeString(staging.resolve(MARKER_FILE), sha256 + "\n", StandardCharsets.US_ASCII);
            if (Files.getFileStore(staging).supportsFileAttributeView(PosixFileAttributeView.class)) {
                // createTempDirectory made it private (rwx------); the tree is for everyone who may read the root
                Files.setPosixFilePermissions(staging, EXECUTABLE);
            }
            if (Files.exists(home)) moveAsideAndDelete(home);
            try {
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + staging + " to " + home + " atomically", e);
            }
            LOG.log(Level.INFO, "Unpacked CPython {0} ({1} files) into {2} in {3} ms", staged.version(), String.valueOf(files),
                    home, String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
            return describe(home);
        } catch (IOException | RuntimeException | Error e) {
            deleteQuietly(staging);
            throw e;
        }
    }

    /** Unpacks the tree under {@link #TREE_PREFIX} into {@code target}; returns the number of files. */
    private static int extract(JarStream source, String sha256, Path target) throws IOException {
        MessageDigest digest = newSha256();
        boolean posix = Files.getFileStore(target).supportsFileAttributeView(PosixFileAttributeView.class);
        byte[] buffer = new byte[1 << 16];
        int files = 0;
        try (InputStream raw = source.open();
             DigestInputStream hashed = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), digest);
             ZipInputStream zip = new ZipInputStream(hashed)) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                String name = entry.getName();
                if (!name.startsWith(TREE_PREFIX) || name.length() == TREE_PREFIX.length()) continue;
                String relative = name.substring(TREE_PREFIX.length());
                Path file = target.resolve(relative).normalize();
                if (!file.startsWith(target) || file.equals(target)) {
                    throw new IOException("refusing jar entry '" + name + "': it points outside " + target);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(file);
                    continue;
                }
                Files.createDirectories(file.getParent());
                boolean executable = relative.startsWith("bin/");
                try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    int n = zip.readNBytes(buffer, 0, buffer.length);
                    // shared libraries and executables are ELF files; zip entries carry no Unix modes
                    executable |= n >= 4 && buffer[0] == ELF_MAGIC[0] && buffer[1] == ELF_MAGIC[1]
                            && buffer[2] == ELF_MAGIC[2] && buffer[3] == ELF_MAGIC[3];
                    out.write(buffer, 0, n);
                    while ((n = zip.read(buffer)) > 0) out.write(buffer, 0, n);
                }
                if (executable && posix) Files.setPosixFilePermissions(file, EXECUTABLE);
                // CPython validates its .pyc files against the source's modification time
                if (entry.getLastModifiedTime() != null) Files.setLastModifiedTime(file, entry.getLastModifiedTime());
                files++;
            }
            // the central directory is part of the checksum too
            hashed.transferTo(OutputStream.nullOutputStream());
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(sha256)) {
            throw new IOException("the CPython jar changed: expected SHA-256 " + sha256 + " but unpacked " + actual);
        }
        if (files == 0) throw new IOException("the jar has no entries under " + TREE_PREFIX + "; is it a bytedeco cpython jar?");
        return files;
    }

    /** Staging and stale directories of {@code name}: only an unpacker that died leaves them, and we hold the lock. */
    private void removeLeftovers(String name) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(root, "." + name + ".{tmp,stale}-*")) {
            for (Path leftover : leftovers) {
                LOG.log(Level.INFO, "Removing {0}, left by an unpacker that did not finish", leftover);
                deleteQuietly(leftover);
            }
        }
    }

    /** A running JVM may still use files of an untrusted tree; renaming first keeps the name free at once. */
    private void moveAsideAndDelete(Path home) throws IOException {
        Path stale = Files.createTempDirectory(root, "." + home.getFileName() + ".stale-");
        Path moved = stale.resolve("tree");
        Files.move(home, moved, StandardCopyOption.ATOMIC_MOVE);
        deleteQuietly(stale);
    }

    private static void deleteQuietly(Path tree) {
        try {
            Files.walkFileTree(tree, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.WARNING, "Could not delete " + tree + "; the next unpacker will try again", e);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String fileName(String path) {
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }
}
