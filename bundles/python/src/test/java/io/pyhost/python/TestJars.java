package io.pyhost.python;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.Assume.assumeTrue;

/** Jars for the tests: the real nested bytedeco jar, and small hand-made look-alikes. */
final class TestJars {
    static final byte[] ELF = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};

    private TestJars() {}

    /** The bytedeco jar that the build copied into target/classes/cpython. */
    static Path realJar() throws IOException, URISyntaxException {
        URL url = DistributionCache.class.getResource("/" + DistributionCache.embeddedJarEntry());
        assumeTrue("the nested CPython jar is not on the test class path (run through Maven)",
                url != null && "file".equals(url.getProtocol()));
        return Path.of(url.toURI());
    }

    /** The entries of a minimal CPython 3.14.3 tree: enough for {@link DistributionCache#describe}. */
    static Map<String, byte[]> minimalTree() {
        Map<String, byte[]> tree = new LinkedHashMap<>();
        tree.put("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n".getBytes(StandardCharsets.US_ASCII));
        tree.put(DistributionCache.TREE_PREFIX, null);
        tree.put(DistributionCache.TREE_PREFIX + "libpython3.14.so.1.0", ELF);
        tree.put(DistributionCache.TREE_PREFIX + "include/python3.14/patchlevel.h",
                "#define PY_VERSION              \"3.14.3\"\n".getBytes(StandardCharsets.US_ASCII));
        tree.put(DistributionCache.TREE_PREFIX + "lib/python3.14/os.py", "# os\n".getBytes(StandardCharsets.US_ASCII));
        tree.put(DistributionCache.TREE_PREFIX + "lib/python3.14/lib-dynload/_json.cpython-314-x86_64-linux-gnu.so", ELF);
        tree.put(DistributionCache.TREE_PREFIX + "bin/python3", "#!/bin/sh\necho fake\n".getBytes(StandardCharsets.US_ASCII));
        return tree;
    }

    /** Writes {@code entries} (null value: directory entry) as a jar named {@code name} in {@code dir}. */
    static Path writeJar(Path dir, String name, Map<String, byte[]> entries) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                if (e.getValue() != null) zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return jar;
    }

    static Path minimalJar(Path dir) throws IOException {
        return writeJar(dir, "cpython-3.14.3-1.5.13-linux-x86_64.jar", minimalTree());
    }
}
