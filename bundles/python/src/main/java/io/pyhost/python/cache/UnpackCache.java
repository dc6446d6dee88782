package io.pyhost.python.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
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
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A cache root holding directories that are unpacked once per machine and then only read:
 * {@code <root>/<name>-<first 16 hex digits of key>/}, where the key is a SHA-256 of everything
 * the directory is made from (for one jar, the jar's checksum). Plain Java, no OSGi.
 *
 * <h2>Layout of the cache root</h2>
 * <pre>
 * numpy-2.4.2-0123456789abcdef/                       the tree
 * numpy-2.4.2-0123456789abcdef/{@value #MARKER_FILE}   the full key, written last
 * numpy-2.4.2-0123456789abcdef.lock                   FileChannel lock that serializes unpackers across JVMs
 * </pre>
 *
 * <h2>Threads and processes</h2>
 * Every method is thread-safe, and any number of JVMs may use one cache root at once: a tree is
 * unpacked into a temporary sibling directory while holding a lock (a JVM-wide lock plus a
 * {@link FileLock} on the {@code .lock} file), its marker is written last, and it is published by
 * one atomic rename. A directory whose marker is missing, holds another key, or that fails the
 * caller's completeness check is not trusted: it is moved aside and unpacked again. Leftovers of a
 * JVM that died while unpacking are removed by the next unpacker.
 *
 * <h2>Cost</h2>
 * Finding a complete tree costs a marker read plus the caller's check (a few file-status calls);
 * unpacking costs what the caller's {@link Unpacker} does.
 */
public final class UnpackCache {
    /** File in an unpacked tree that holds the full key it was made for; written last. */
    public static final String MARKER_FILE = ".pyhost-unpacked";

    private static final System.Logger LOG = System.getLogger(UnpackCache.class.getName());

    /** FileChannel locks belong to the whole JVM, so threads of one JVM take turns here first. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** Throws when an unpacked tree is not complete; the message says what is missing. */
    @FunctionalInterface
    public interface Check {
        void verify(Path directory) throws IOException;
    }

    /** Writes the tree into an empty staging directory; returns how many files it wrote. */
    @FunctionalInterface
    public interface Unpacker {
        int unpackInto(Path staging) throws IOException;
    }

    /**
     * What {@link #install} did.
     *
     * @param directory   the complete tree
     * @param unpackedNow true when this call unpacked it, false when it found it complete
     */
    public record Outcome(Path directory, boolean unpackedNow) {}

    private final Path root;
    private final String rootHint;

    /**
     * A cache rooted at {@code root}; nothing is created until something is installed.
     *
     * @param rootHint how a user chooses another root, for the message when the root cannot be created
     */
    public UnpackCache(Path root, String rootHint) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.rootHint = rootHint == null ? "" : rootHint;
    }

    /** The directory that holds the unpacked trees. */
    public Path root() {
        return root;
    }

    /** The directory that holds (or will hold) the tree {@code name} made from {@code key}. */
    public Path directoryFor(String name, String key) {
        checkKey(key);
        return root.resolve(name + "-" + key.substring(0, 16));
    }

    /**
     * Unpacks the tree {@code name} unless a complete one for {@code key} exists.
     *
     * @param name     the directory's name without the key, e.g. {@code cpython-3.14.3}
     * @param key      64 lowercase hex digits: a SHA-256 of everything the tree is made from
     * @param complete checks a tree that carries the right marker (files present)
     * @param unpacker writes the tree; called only when it must be unpacked, under the lock
     */
    public Outcome install(String name, String key, Check complete, Unpacker unpacker) throws IOException {
        Objects.requireNonNull(complete, "complete");
        Objects.requireNonNull(unpacker, "unpacker");
        Path home = directoryFor(name, key);
        if (isComplete(home, key, complete, false)) return new Outcome(home, false);

        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new IOException("cannot create the cache directory " + root + (rootHint.isEmpty() ? "" : " (" + rootHint + ")"), e);
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
            if (isComplete(home, key, complete, true)) return new Outcome(home, false);
            unpack(home, key, complete, unpacker);
            return new Outcome(home, true);
        } finally {
            jvmLock.unlock();
        }
    }

    private static void checkKey(String key) {
        if (key == null || !key.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, not '" + key + "'");
        }
    }

    /**
     * Whether {@code home}'s marker holds {@code key} and the caller's check passes; {@code explain}
     * logs why not (once, under the lock, not on the quick first look).
     */
    private static boolean isComplete(Path home, String key, Check complete, boolean explain) {
        Path marker = home.resolve(MARKER_FILE);
        String recorded;
        try {
            recorded = Files.readString(marker, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            if (explain && Files.isDirectory(home)) {
                LOG.log(Level.WARNING, "{0} has no readable {1}; it will be unpacked again", home, MARKER_FILE);
            }
            return false;
        }
        if (!recorded.equals(key)) {
            if (explain) LOG.log(Level.WARNING, "{0} holds checksum {1}, expected {2}; it will be unpacked again", marker, recorded, key);
            return false;
        }
        try {
            complete.verify(home);
            return true;
        } catch (IOException e) {
            if (explain) LOG.log(Level.WARNING, "{0} is marked complete but {1}; it will be unpacked again", home, e.getMessage());
            return false;
        }
    }

    /** Blocks until this JVM holds the lock file; callers already hold the JVM-wide lock. */
    private static FileLock lockAcrossProcesses(FileChannel channel, Path home) throws IOException {
        boolean toldWaiting = false;
        while (true) {
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) return lock;
                if (!toldWaiting) {
                    LOG.log(Level.INFO, "Waiting for another process that is unpacking into {0}", home);
                    toldWaiting = true;
                }
                return channel.lock();
            } catch (OverlappingFileLockException e) {
                // another class loader in this JVM (an earlier revision of a bundle) holds it
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
    private void unpack(Path home, String key, Check complete, Unpacker unpacker) throws IOException {
        String name = home.getFileName().toString();
        removeLeftovers(name);
        long started = System.nanoTime();
        LOG.log(Level.INFO, "Unpacking {0} (once per machine)", home);
        Path staging = Files.createTempDirectory(root, "." + name + ".tmp-");
        try {
            int files = unpacker.unpackInto(staging);
            complete.verify(staging);
            // the marker goes last: a tree with a valid marker is a complete tree
            Files.writeString(staging.resolve(MARKER_FILE), key + "\n", StandardCharsets.US_ASCII);
            if (Files.getFileStore(staging).supportsFileAttributeView(PosixFileAttributeView.class)) {
                // createTempDirectory made it private (rwx------); the tree is for everyone who may read the root
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            if (Files.exists(home)) moveAsideAndDelete(home);
            try {
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + staging + " to " + home + " atomically", e);
            }
            LOG.log(Level.INFO, "Unpacked {0} files into {1} in {2} ms", String.valueOf(files), home,
                    String.valueOf(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
        } catch (IOException | RuntimeException | Error e) {
            deleteQuietly(staging);
            throw e;
        }
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
}
