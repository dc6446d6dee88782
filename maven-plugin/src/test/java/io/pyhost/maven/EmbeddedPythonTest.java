package io.pyhost.maven;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.BeforeClass;
import org.junit.Test;

/** The real embedded CPython (the test dependency org.bytedeco:cpython) unpacked and asked; nothing stands in for it. */
public class EmbeddedPythonTest {
    private static EmbeddedPython python;
    private static Path work;

    @BeforeClass
    public static void unpack() throws Exception {
        Path jar = Path.of(property("pyhost.test.cpython.jar"));
        work = Path.of(property("pyhost.test.work"));
        Files.createDirectories(work);
        python = EmbeddedPython.unpack(jar, work.resolve("cpython"));
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            throw new IllegalStateException("system property " + name + " is not set: run through Maven");
        }
        return value;
    }

    @Test
    public void itRunsAndItsPipListsTheTagsPipUses() throws Exception {
        assertEquals("3.14.3", python.version(work));
        SupportedTags tags = python.supportedTags(work);
        assertEquals("the most preferred tag is the interpreter's own ABI", "cp314-cp314", tags.tags().get(0).replaceFirst("-[^-]+$", ""));
        assertTrue(tags.tags().toString(), tags.contains("py3-none-any"));
        assertTrue(tags.contains("cp314-cp314-linux_x86_64"));
        assertTrue(tags.contains("cp312-abi3-manylinux_2_17_x86_64"));
        assertTrue("a cp312 ABI does not fit 3.14", !tags.contains("cp312-cp312-manylinux_2_17_x86_64"));
        String why = WheelFile.parse("demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl").misfit(tags, "CPython 3.14.3").orElseThrow();
        assertTrue(why, why.contains("ABI tag cp312 is not accepted (accepted: cp314, abi3, none)"));
        assertTrue(WheelFile.parse("demo-1.0-py3-none-any.whl").misfit(tags, "x").isEmpty());
    }

    @Test
    public void theChildSeesPythonHomeAndNoneOfTheBuildsPythonVariables() throws Exception {
        EmbeddedPython.Result r = python.run(List.of("-c", "import os, sys; print(os.environ.get('PYTHONHOME')); print(sys.prefix); "
                + "print(os.environ.get('PIP_CONFIG_FILE')); print(sys.flags.no_user_site)"), work, 60);
        assertEquals(r.output(), 0, r.exitCode());
        List<String> lines = r.output().lines().toList();
        assertEquals(python.home().toString(), lines.get(0));
        assertEquals(python.home().toString(), lines.get(1));
        assertEquals("/dev/null", lines.get(2));
        assertEquals("1", lines.get(3));
    }

    @Test
    public void unpackingAgainReusesTheTree() throws Exception {
        Path marker = python.home().resolve(".pyhost-unpacked");
        long before = Files.getLastModifiedTime(marker).toMillis();
        EmbeddedPython again = EmbeddedPython.unpack(Path.of(property("pyhost.test.cpython.jar")), python.home());
        assertEquals(python.executable(), again.executable());
        assertEquals("the same jar is not unpacked twice", before, Files.getLastModifiedTime(marker).toMillis());
        assertNotEquals(0, Files.size(marker));
    }
}
