package io.pyhost.maven;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.Test;

/**
 * The goal in a real Maven build of a user's bundle project (src/it/*, copied to target/it):
 * wheels written by the test, this plugin staged by maven-invoker-plugin in a local repository
 * under target/ (never ~/.m2), every other artifact read from the build's own local repository
 * through a file: mirror, so nothing is downloaded. The produced jar is opened and its packages
 * imported by the embedded CPython.
 */
public class PythonBundleGoalIT {
    /** One Maven build of a sample project takes 10-30 s here; this only bounds a hang. */
    private static final long BUILD_SECONDS = 600;

    private static final String EXTENDER_FILTER = "(&(osgi.extender=io.pyhost.preload)(version>=1.0.0)(!(version>=2.0.0)))";

    @Test
    public void aRequirementsFileInstallsItsDistributionWithItsDependencyAndTheHeadersReachTheManifest() throws Exception {
        Path project = copyProject("requirements-bundle");
        Path wheels = project.resolve("wheels");
        TestWheels.wheel("pyhost-it-greet", "1.2rc1", "py3-none-any")
                .requires("pyhost-it-util>=0.3")
                .file("pyhost_it_greet/__init__.py", "from pyhost_it_util import shout\n\ndef hello(name):\n    return shout('hello ' + name)\n")
                .file("pyhost_it_greet/data.txt", "packaged data\n")
                .writeTo(wheels);
        // another build of the same release that does not fit: pip picks the one that does, the goal does not refuse
        TestWheels.wheel("pyhost-it-greet", "1.2rc1", "py3-none-win_amd64")
                .file("pyhost_it_greet/__init__.py", "raise ImportError('the windows build was installed')\n").writeTo(wheels);
        TestWheels.wheel("Pyhost_IT.Util", "0.3.post1", "py3-none-any")
                .file("pyhost_it_util.py", "def shout(text):\n    return text.upper() + '!'\n")
                .writeTo(wheels);
        TestWheels.wheel("pyhost-it-unused", "1.0", "py3-none-any").file("pyhost_it_unused.py", "X = 1\n").writeTo(wheels);

        Build build = maven(project);
        assertEquals("the build succeeds; its log:\n" + build.log(), 0, build.exitCode());

        Path jar = project.resolve("target/requirements-bundle-1.0.0.jar");
        try (JarFile bundle = new JarFile(jar.toFile())) {
            List<String> entries = bundle.stream().map(JarEntry::getName).toList();
            for (String expected : List.of("python/site-packages/pyhost_it_greet/__init__.py", "python/site-packages/pyhost_it_greet/data.txt",
                    "python/site-packages/pyhost_it_util.py", "python/site-packages/pyhost_it_greet-1.2rc1.dist-info/METADATA",
                    "python/site-packages/pyhost_it_util-0.3.post1.dist-info/METADATA")) {
                assertTrue(expected + " in " + entries, entries.contains(expected));
            }
            assertFalse("a wheel the requirements do not ask for is not installed: " + entries,
                    entries.stream().anyMatch(e -> e.contains("pyhost_it_unused")));
            assertFalse("no console-script directory, no machine-specific direct_url.json: " + entries,
                    entries.stream().anyMatch(e -> e.startsWith("python/site-packages/bin/") || e.endsWith("direct_url.json")));
            assertTrue("directory entries exist (the extender looks the Python-Path directory up)", entries.contains("python/site-packages/"));

            Attributes main = bundle.getManifest().getMainAttributes();
            assertEquals("io.pyhost.it.requirements", main.getValue("Bundle-SymbolicName"));
            assertEquals("python/site-packages", main.getValue("Python-Path"));
            String provided = main.getValue("Provide-Capability");
            assertNotNull(provided);
            List<String> capabilities = clauses(provided);
            assertEquals("one python.package per installed distribution (PEP 503 names, OSGi versions; bnd drops needless quotes), then bnd.bnd's own: " + provided,
                    List.of("python.package;python.package=pyhost-it-greet;version:Version=\"1.2.0.rc1\"",
                            "python.package;python.package=pyhost-it-util;version:Version=\"0.3.0.post1\"",
                            "io.pyhost.it.marker;io.pyhost.it.marker=own"),
                    capabilities);
            String required = main.getValue("Require-Capability");
            assertTrue("the bundle requires the preload extender: " + required,
                    required != null && required.contains("osgi.extender") && required.contains(EXTENDER_FILTER));
        }

        // the packages as the bundle carries them import in the embedded CPython
        Path unpacked = project.resolve("target/unpacked");
        unzip(jar, unpacked);
        EmbeddedPython python = EmbeddedPython.unpack(cpythonJar(project), project.resolve("target/pyhost/cpython"));
        EmbeddedPython.Result run = python.run(List.of("-c", "import sys; sys.path.insert(0, sys.argv[1]); import pyhost_it_greet; "
                + "print(pyhost_it_greet.hello('bundle'))", unpacked.resolve("python/site-packages").toString()), project, 60);
        assertEquals(run.output(), "HELLO BUNDLE!", run.output().strip());
    }

    @Test
    public void aWheelForAnotherCPythonIsRefusedBeforePipRunsNamingTheWheelAndTheTag() throws Exception {
        Path project = copyProject("wrong-tag");
        Path wheels = project.resolve("wheels");
        TestWheels.wheel("pyhost-it-fine", "1.0", "py3-none-any").file("pyhost_it_fine.py", "X = 1\n").writeTo(wheels);
        TestWheels.wheel("pyhost-it-native", "1.0", "cp312-cp312-manylinux_2_17_x86_64")
                .file("pyhost_it_native/__init__.py", "X = 1\n").writeTo(wheels);

        Build build = maven(project);
        assertNotEquals("the build fails; its log:\n" + build.log(), 0, build.exitCode());
        String expected = "wheel pyhost_it_native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl does not fit the embedded CPython 3.14.3: "
                + "ABI tag cp312 is not accepted (accepted: cp314, abi3, none)";
        assertTrue("the log names the wheel, the offending tag and the accepted ones:\n" + build.log(), build.log().contains(expected));
        assertFalse("pip never ran:\n" + build.log(), build.log().contains("pip install into"));
        assertFalse("nothing was installed", Files.exists(project.resolve("target/classes/python/site-packages")));
        assertFalse("no headers were written", Files.exists(project.resolve("target/pyhost/python-bundle.bnd")));
    }

    // ------------------------------------------------------------------ machinery

    private record Build(int exitCode, String log) {
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set: run this test through Maven (mvn verify)");
        }
        return value;
    }

    /** src/it/name copied to target/it/name, with the plugin's and bnd's versions filled in. */
    private static Path copyProject(String name) throws IOException {
        Path source = Path.of(property("pyhost.it.projects"), name);
        Path target = Path.of(property("pyhost.it.work"), name);
        EmbeddedPython.deleteTree(target);
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path copy = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.writeString(copy, Files.readString(file)
                            .replace("@pyhost.plugin.version@", property("pyhost.it.plugin.version"))
                            .replace("@bnd.version@", property("pyhost.it.bnd.version")));
                }
            }
        }
        return target;
    }

    /** {@code mvn -B package} in {@code project} with the private local repository and the file: mirror; bounded. */
    private static Build maven(Path project) throws IOException, InterruptedException {
        Path settings = project.resolve("it-settings.xml");
        Files.writeString(settings, """
                <settings>
                  <offline>false</offline>
                  <mirrors>
                    <mirror>
                      <id>pyhost-build-repository</id>
                      <name>the local repository of the build running this test, read only</name>
                      <url>%s</url>
                      <mirrorOf>*</mirrorOf>
                    </mirror>
                  </mirrors>
                </settings>
                """.formatted(Path.of(property("pyhost.it.mirror")).toUri()));
        Path log = project.resolve("build.log");
        List<String> command = new ArrayList<>(List.of(Path.of(property("pyhost.it.maven.home"), "bin", "mvn").toString(), "-B", "-e",
                "-s", settings.toString(), "-Dmaven.repo.local=" + Path.of(property("pyhost.it.repo")).toAbsolutePath(), "package"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("MAVEN_OPTS");
        builder.environment().remove("MAVEN_ARGS");
        Process process = builder.start();
        if (!process.waitFor(BUILD_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the Maven build of " + project + " did not end in " + BUILD_SECONDS + " s; its log:\n" + Files.readString(log));
        }
        return new Build(process.exitValue(), Files.readString(log));
    }

    /** The CPython jar the build resolved, as the goal did: from the private local repository. */
    private static Path cpythonJar(Path project) throws IOException {
        String coordinates = EmbeddedPython.defaults().getProperty("coordinates"); // group:artifact:jar:classifier:version
        String[] c = coordinates.split(":");
        Path jar = Path.of(property("pyhost.it.repo"), c[0].replace('.', '/'), c[1], c[4], c[1] + "-" + c[4] + "-" + c[3] + "." + c[2]);
        assertTrue(jar + " was resolved by the goal", Files.isRegularFile(jar));
        return jar;
    }

    private static void unzip(Path jar, Path target) throws IOException {
        EmbeddedPython.deleteTree(target);
        try (JarFile in = new JarFile(jar.toFile())) {
            for (JarEntry entry : in.stream().toList()) {
                Path file = target.resolve(entry.getName()).normalize();
                if (entry.isDirectory()) {
                    Files.createDirectories(file);
                } else {
                    Files.createDirectories(file.getParent());
                    try (InputStream data = in.getInputStream(entry)) {
                        Files.copy(data, file);
                    }
                }
            }
        }
    }

    /** The clauses of a manifest header, split at commas outside quotes. */
    static List<String> clauses(String header) {
        List<String> clauses = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                clauses.add(current.toString().strip());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        clauses.add(current.toString().strip());
        return clauses;
    }

}
