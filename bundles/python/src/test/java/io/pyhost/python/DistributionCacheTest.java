package io.pyhost.python;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class DistributionCacheTest {
    @Rule
    public final TemporaryFolder temp = TemporaryFolder.builder().assureDeletion().build();

    @After
    public void forgetCacheProperty() {
        System.clearProperty(DistributionCache.CACHE_ROOT_PROPERTY);
    }

    // ---- the real CPython jar ----

    @Test
    public void unpacksTheRealJarOnceAndReusesIt() throws Exception {
        Path jar = TestJars.realJar();
        Path root = temp.newFolder("cache").toPath();
        DistributionCache cache = new DistributionCache(root);

        DistributionCache.Outcome first = cache.install(jar);
        assertTrue(first.unpackedNow());
        PythonInstallation python = first.installation();
        assertEquals("3.14.3", python.version());
        assertEquals(python.home().resolve("libpython3.14.so.1.0"), python.library());
        assertTrue(Files.isRegularFile(python.library()));
        assertTrue(Files.isRegularFile(python.home().resolve("lib/python3.14/os.py")));
        String sha256 = DistributionCache.sha256(jar);
        assertEquals("cpython-3.14.3-" + sha256.substring(0, 16), python.home().getFileName().toString());
        assertEquals(sha256, Files.readString(python.home().resolve(DistributionCache.MARKER_FILE)).trim());
        assertExecutable(python.library());
        assertExecutable(python.home().resolve("bin/python3"));

        FileTime markerWritten = Files.getLastModifiedTime(python.home().resolve(DistributionCache.MARKER_FILE));
        FileTime osWritten = Files.getLastModifiedTime(python.home().resolve("lib/python3.14/os.py"));
        DistributionCache.Outcome second = new DistributionCache(root).install(jar);
        assertFalse(second.unpackedNow());
        assertEquals(python, second.installation());
        assertEquals(markerWritten, Files.getLastModifiedTime(python.home().resolve(DistributionCache.MARKER_FILE)));
        assertEquals(osWritten, Files.getLastModifiedTime(python.home().resolve("lib/python3.14/os.py")));
        assertEquals(List.of(python.home().getFileName() + "", python.home().getFileName() + ".lock"), names(root));

        // the nested jar, found through the class path with the checksum the build wrote, is the same tree
        assertEquals(sha256, DistributionCache.builtChecksum(DistributionCache.embeddedJarEntry()));
        DistributionCache.Outcome embedded = new DistributionCache(root).installEmbedded();
        assertFalse(embedded.unpackedNow());
        assertEquals(python, embedded.installation());
        assertEquals(python, DistributionCache.embeddedFromClasspath(root));
        assertEquals(python, DistributionCache.embeddedFromJar(jar, root));

        // the unpacked interpreter runs: executable bits, libpython and stdlib extension modules are in place
        Process run = new ProcessBuilder(python.home().resolve("bin/python3").toString(), "-c",
                "import sys, ssl, ctypes, zlib; print(sys.version.split()[0])")
                .redirectErrorStream(true).start();
        assertTrue("bin/python3 did not finish", run.waitFor(30, TimeUnit.SECONDS));
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(output, 0, run.exitValue());
        assertEquals("3.14.3", output);
    }

    @Test
    public void twoThreadsUnpackingAtOnceMakeOneTree() throws Exception {
        Path jar = TestJars.realJar();
        Path root = temp.newFolder("cache").toPath();
        CyclicBarrier start = new CyclicBarrier(2);
        Callable<DistributionCache.Outcome> install = () -> {
            start.await(10, TimeUnit.SECONDS);
            return new DistributionCache(root).install(jar);
        };
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<DistributionCache.Outcome> a = threads.submit(install);
            Future<DistributionCache.Outcome> b = threads.submit(install);
            DistributionCache.Outcome first = a.get(60, TimeUnit.SECONDS);
            DistributionCache.Outcome second = b.get(60, TimeUnit.SECONDS);
            assertEquals(first.installation(), second.installation());
            assertTrue("exactly one thread unpacks", first.unpackedNow() ^ second.unpackedNow());
            assertOneGoodTree(root, DistributionCache.sha256(jar));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    public void twoJvmsUnpackingAtOnceMakeOneTree() throws Exception {
        Path jar = TestJars.realJar();
        Path root = temp.newFolder("cache").toPath();
        List<Process> jvms = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Path output = root.resolveSibling("jvm-" + i + ".out");
                outputs.add(output);
                jvms.add(new ProcessBuilder(javaExecutable(), "-cp", testClassPath(),
                        UnpackInAnotherJvm.class.getName(), jar.toString(), root.toString())
                        .redirectErrorStream(true).redirectOutput(output.toFile()).start());
            }
            int unpacked = 0;
            for (int i = 0; i < 2; i++) {
                assertTrue("JVM " + i + " did not finish within 60 s", jvms.get(i).waitFor(60, TimeUnit.SECONDS));
                String output = Files.readString(outputs.get(i));
                assertEquals(output, 0, jvms.get(i).exitValue());
                if (output.contains("unpackedNow=true")) unpacked++;
                else assertTrue(output, output.contains("unpackedNow=false"));
            }
            assertEquals("exactly one JVM unpacks", 1, unpacked);
            assertOneGoodTree(root, DistributionCache.sha256(jar));
        } finally {
            jvms.forEach(Process::destroyForcibly);
        }
    }

    // ---- small hand-made jars ----

    @Test
    public void aTreeWithoutMarkerIsUnpackedAgain() throws Exception {
        Path jar = TestJars.minimalJar(temp.getRoot().toPath());
        DistributionCache cache = new DistributionCache(temp.newFolder("cache").toPath());
        PythonInstallation python = cache.install(jar).installation();
        Files.delete(python.home().resolve(DistributionCache.MARKER_FILE));
        Files.delete(python.home().resolve("lib/python3.14/os.py"));

        DistributionCache.Outcome again = cache.install(jar);
        assertTrue(again.unpackedNow());
        assertEquals(python, again.installation());
        assertTrue(Files.isRegularFile(python.home().resolve("lib/python3.14/os.py")));
        assertOneGoodTree(cache.root(), DistributionCache.sha256(jar));
    }

    @Test
    public void aTreeWithAWrongMarkerIsUnpackedAgain() throws Exception {
        Path jar = TestJars.minimalJar(temp.getRoot().toPath());
        DistributionCache cache = new DistributionCache(temp.newFolder("cache").toPath());
        PythonInstallation python = cache.install(jar).installation();
        Files.writeString(python.home().resolve(DistributionCache.MARKER_FILE), "0".repeat(64));
        Files.writeString(python.home().resolve("stray-file"), "not from the jar");

        assertTrue(cache.install(jar).unpackedNow());
        assertFalse("the untrusted tree is replaced, not patched", Files.exists(python.home().resolve("stray-file")));
        assertOneGoodTree(cache.root(), DistributionCache.sha256(jar));
    }

    @Test
    public void aMarkedTreeWithMissingFilesIsUnpackedAgain() throws Exception {
        Path jar = TestJars.minimalJar(temp.getRoot().toPath());
        DistributionCache cache = new DistributionCache(temp.newFolder("cache").toPath());
        PythonInstallation python = cache.install(jar).installation();
        Files.delete(python.library());

        assertTrue(cache.install(jar).unpackedNow());
        assertTrue(Files.isRegularFile(python.library()));
    }

    @Test
    public void leftoversOfADeadUnpackerAreRemoved() throws Exception {
        Path jar = TestJars.minimalJar(temp.getRoot().toPath());
        DistributionCache cache = new DistributionCache(temp.newFolder("cache").toPath());
        String name = cache.directoryFor(jar.getFileName().toString(), DistributionCache.sha256(jar)).getFileName().toString();
        Path staging = Files.createDirectories(cache.root().resolve("." + name + ".tmp-12345/lib"));
        Files.writeString(staging.resolve("half-written.py"), "");
        Files.createDirectories(cache.root().resolve("." + name + ".stale-678/tree"));

        assertTrue(cache.install(jar).unpackedNow());
        assertOneGoodTree(cache.root(), DistributionCache.sha256(jar));
    }

    @Test
    public void executableBitsFollowBinAndElf() throws Exception {
        Map<String, byte[]> tree = TestJars.minimalTree();
        tree.put(DistributionCache.TREE_PREFIX + "lib/python3.14/plain.py", "#!/usr/bin/env python3\n".getBytes());
        PythonInstallation python = new DistributionCache(temp.newFolder("cache").toPath())
                .install(TestJars.writeJar(temp.getRoot().toPath(), "cpython-3.14.3-x.jar", tree)).installation();
        assertExecutable(python.library());
        assertExecutable(python.home().resolve("bin/python3"));
        assertExecutable(python.home().resolve("lib/python3.14/lib-dynload/_json.cpython-314-x86_64-linux-gnu.so"));
        assertFalse(Files.isExecutable(python.home().resolve("lib/python3.14/plain.py")));
        assertFalse(Files.isExecutable(python.home().resolve("lib/python3.14/os.py")));
    }

    @Test
    public void anEntryThatEscapesTheTreeIsRefusedAndNothingIsLeft() throws Exception {
        Map<String, byte[]> tree = TestJars.minimalTree();
        tree.put(DistributionCache.TREE_PREFIX + "lib/../../../../../escaped.txt", "zip slip".getBytes());
        Path jar = TestJars.writeJar(temp.getRoot().toPath(), "cpython-3.14.3-evil.jar", tree);
        Path root = temp.newFolder("deep", "er", "cache").toPath();

        IOException refused = assertThrows(IOException.class, () -> new DistributionCache(root).install(jar));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("refusing jar entry '"));
        try (Stream<Path> everything = Files.walk(temp.getRoot().toPath())) {
            assertFalse(everything.anyMatch(p -> p.getFileName().toString().equals("escaped.txt")));
        }
        assertEquals(List.of(names(root).get(0)), names(root));   // only the lock file
        assertTrue(names(root).get(0).endsWith(".lock"));
    }

    @Test
    public void bytesThatDoNotMatchTheChecksumAreRefused() throws Exception {
        Path jar = TestJars.minimalJar(temp.getRoot().toPath());
        DistributionCache cache = new DistributionCache(temp.newFolder("cache").toPath());
        String wrong = "ab".repeat(32);
        IOException refused = assertThrows(IOException.class,
                () -> cache.install(jar.getFileName().toString(), wrong, () -> Files.newInputStream(jar)));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("the CPython jar changed: expected SHA-256 " + wrong));
        assertFalse(Files.exists(cache.directoryFor(jar.getFileName().toString(), wrong)));
    }

    @Test
    public void aJarWithoutTheTreeIsRefused() throws Exception {
        Path jar = TestJars.writeJar(temp.getRoot().toPath(), "cpython-3.14.3-empty.jar",
                Map.of("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n".getBytes()));
        IOException refused = assertThrows(IOException.class,
                () -> new DistributionCache(temp.newFolder("cache").toPath()).install(jar));
        assertTrue(refused.getMessage(), refused.getMessage().contains("no entries under " + DistributionCache.TREE_PREFIX));
    }

    @Test
    public void theDirectoryIsNamedByVersionAndChecksum() throws Exception {
        DistributionCache cache = new DistributionCache(Path.of("/cache"));
        String sha256 = "0123456789abcdef".repeat(4);
        assertEquals(Path.of("/cache/cpython-3.14.3-0123456789abcdef"),
                cache.directoryFor("cpython-3.14.3-1.5.13-linux-x86_64.jar", sha256));
        assertEquals(Path.of("/cache/cpython-unknown-0123456789abcdef"), cache.directoryFor("python.jar", sha256));
        assertThrows(IllegalArgumentException.class, () -> cache.install("x.jar", "ABC", InputStream::nullInputStream));
    }

    @Test
    public void theChecksumOfAJarChangesWithItsContent() throws Exception {
        Path jar = TestJars.minimalJar(temp.getRoot().toPath());
        String before = DistributionCache.sha256(jar);
        try (InputStream in = Files.newInputStream(jar)) {
            assertEquals(before, DistributionCache.sha256(in));
        }
        Map<String, byte[]> tree = TestJars.minimalTree();
        tree.put("extra.txt", new byte[] {1});
        TestJars.writeJar(temp.getRoot().toPath(), jar.getFileName().toString(), tree);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 2000));
        assertNotEquals(before, DistributionCache.sha256(jar));
    }

    @Test
    public void theCacheRootComesFromTheSystemPropertyElseTheHomeDirectory() {
        System.clearProperty(DistributionCache.CACHE_ROOT_PROPERTY);
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "pyhost", "python"), DistributionCache.defaultRoot());
        System.setProperty(DistributionCache.CACHE_ROOT_PROPERTY, "/srv/pyhost-cache");
        assertEquals(Path.of("/srv/pyhost-cache"), DistributionCache.defaultRoot());
    }

    @Test
    public void theEmbeddedJarEntryIsResolvedByTheBuild() throws Exception {
        assertEquals("cpython/cpython-3.14.3-1.5.13-linux-x86_64.jar", DistributionCache.embeddedJarEntry());
    }

    // ---- helpers ----

    /** The root holds one complete tree, its lock file, and nothing else. */
    private static void assertOneGoodTree(Path root, String sha256) throws IOException {
        List<String> names = names(root);
        assertEquals(names.toString(), 2, names.size());
        Path home = root.resolve(names.get(0));
        assertEquals(home.getFileName() + ".lock", names.get(1));
        assertEquals(sha256, Files.readString(home.resolve(DistributionCache.MARKER_FILE)).trim());
        DistributionCache.describe(home);
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertExecutable(Path file) throws IOException {
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) return;
        assertTrue(file + " is not executable",
                Files.getPosixFilePermissions(file).contains(PosixFilePermission.OWNER_EXECUTE));
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** target/classes and target/test-classes, wherever the build put them. */
    private static String testClassPath() throws Exception {
        String main = Path.of(DistributionCache.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        String test = Path.of(UnpackInAnotherJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        if (main.equals(test)) return main;
        return main + File.pathSeparator + test;
    }
}
