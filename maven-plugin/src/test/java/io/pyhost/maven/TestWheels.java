package io.pyhost.maven;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes small wheels at test time (PEP 427): the given files, then
 * {@code <name>-<version>.dist-info/} with {@code METADATA}, {@code WHEEL} and a {@code RECORD}
 * holding every file's sha256.
 */
final class TestWheels {
    private final String distribution;
    private final String version;
    private final String tag;
    private final Map<String, String> files = new LinkedHashMap<>();
    private final StringBuilder metadata = new StringBuilder();

    private TestWheels(String distribution, String version, String tag) {
        this.distribution = distribution;
        this.version = version;
        this.tag = tag;
        metadata.append("Metadata-Version: 2.1\nName: ").append(distribution).append("\nVersion: ").append(version).append('\n');
    }

    /** A wheel of {@code distribution} (as written in METADATA), {@code version}, one tag {@code python-abi-platform}. */
    static TestWheels wheel(String distribution, String version, String tag) {
        return new TestWheels(distribution, version, tag);
    }

    TestWheels file(String path, String text) {
        files.put(path, text);
        return this;
    }

    TestWheels requires(String requirement) {
        metadata.append("Requires-Dist: ").append(requirement).append('\n');
        return this;
    }

    /** Writes the wheel into {@code directory} under its PEP 427 name; returns the file. */
    Path writeTo(Path directory) throws IOException {
        String escaped = distribution.replaceAll("[-_.]+", "_").toLowerCase(java.util.Locale.ROOT);
        String info = escaped + "-" + version + ".dist-info/";
        Map<String, String> all = new LinkedHashMap<>(files);
        all.put(info + "METADATA", metadata + "\nA wheel written by a pyhost test.\n");
        all.put(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: pyhost-test\nRoot-Is-Purelib: " + tag.endsWith("-any") + "\nTag: " + tag + "\n");
        StringBuilder record = new StringBuilder();
        all.forEach((path, text) -> record.append(path).append(",sha256=").append(sha256(text)).append(',')
                .append(text.getBytes(StandardCharsets.UTF_8).length).append('\n'));
        record.append(info).append("RECORD,,\n");
        all.put(info + "RECORD", record.toString());
        Files.createDirectories(directory);
        Path wheel = directory.resolve(escaped + "-" + version + "-" + tag + ".whl");
        try (OutputStream out = Files.newOutputStream(wheel); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, String> e : all.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return wheel;
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
