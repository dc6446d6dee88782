package io.pyhost.python.cache;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Extracting part of a jar into a directory while checking the jar's SHA-256, and the checksums
 * themselves. Static and thread-safe; plain Java.
 */
public final class JarTree {
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

    /** Checksums of jar files on disk, by path, size and modification time. */
    private static final Map<Path, KnownChecksum> CHECKSUMS = new ConcurrentHashMap<>();

    private record KnownChecksum(long size, FileTime modified, String sha256) {}

    /** Opens a jar's bytes; called only when something must be unpacked. */
    @FunctionalInterface
    public interface Source {
        InputStream open() throws IOException;
    }

    private JarTree() {
    }

    /**
     * The entries under {@code prefix}, with the prefix taken off; every other entry is skipped
     * (mapped to null).
     */
    public static UnaryOperator<String> under(String prefix) {
        return name -> name.startsWith(prefix) && name.length() > prefix.length() ? name.substring(prefix.length()) : null;
    }

    /**
     * Extracts the entries that {@code mapping} maps to a relative path into {@code target}, and
     * checks that the bytes read (the whole jar, central directory included) have the SHA-256
     * {@code sha256}. Files under {@code bin/} and ELF files (shared libraries, executables) get
     * mode 755, since zip entries carry no Unix modes; every file keeps its entry's modification
     * time (CPython validates {@code .pyc} files against it). An entry that would land outside
     * {@code target} is refused.
     *
     * @param what    names the jar in messages, e.g. {@code the CPython jar}
     * @param mapping entry name to relative path under {@code target}, or null to skip the entry
     * @return the number of files written
     * @throws IOException the bytes do not match, nothing was extracted, or writing failed
     */
    public static int extract(Source source, String sha256, String what, Path target, UnaryOperator<String> mapping)
            throws IOException {
        MessageDigest digest = newSha256();
        boolean posix = Files.getFileStore(target).supportsFileAttributeView(PosixFileAttributeView.class);
        byte[] buffer = new byte[1 << 16];
        int files = 0;
        try (InputStream raw = source.open();
             DigestInputStream hashed = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), digest);
             ZipInputStream zip = new ZipInputStream(hashed)) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                String name = entry.getName();
                String relative = mapping.apply(name);
                if (relative == null || relative.isEmpty()) continue;
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
                    executable |= n >= 4 && buffer[0] == ELF_MAGIC[0] && buffer[1] == ELF_MAGIC[1]
                            && buffer[2] == ELF_MAGIC[2] && buffer[3] == ELF_MAGIC[3];
                    out.write(buffer, 0, n);
                    while ((n = zip.read(buffer)) > 0) out.write(buffer, 0, n);
                }
                if (executable && posix) Files.setPosixFilePermissions(file, EXECUTABLE);
                if (entry.getLastModifiedTime() != null) Files.setLastModifiedTime(file, entry.getLastModifiedTime());
                files++;
            }
            // the central directory is part of the checksum too
            hashed.transferTo(OutputStream.nullOutputStream());
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(sha256)) {
            throw new IOException(what + " changed: expected SHA-256 " + sha256 + " but unpacked " + actual);
        }
        return files;
    }

    /**
     * The SHA-256 of a file as lowercase hex, remembered for the life of the JVM as long as the
     * file's size and modification time stay the same. Reads the whole file the first time
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

    /** The SHA-256 of {@code parts} joined by newlines: the key of a tree made from several inputs. */
    public static String sha256(String... parts) {
        return HexFormat.of().formatHex(newSha256().digest(String.join("\n", parts).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The SHA-256 that a build wrote beside a nested jar ({@code <entry>.sha256}, as Ant's
     * {@code checksum} task writes it), read through {@code owner}'s class loader; null if there
     * is none. Reading it instead of hashing the jar saves hundreds of milliseconds at each start.
     */
    public static String builtChecksum(Class<?> owner, String entry) throws IOException {
        try (InputStream in = owner.getResourceAsStream("/" + entry + ".sha256")) {
            if (in == null) return null;
            String[] words = new String(in.readNBytes(1024), StandardCharsets.US_ASCII).trim().split("\\s+");
            String sha256 = words[0].toLowerCase(Locale.ROOT);
            if (!sha256.matches("[0-9a-f]{64}")) throw new IOException(entry + ".sha256 holds no SHA-256: " + words[0]);
            return sha256;
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
