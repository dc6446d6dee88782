package io.pyhost.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class LauncherPropertiesTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void referencesResolveAgainstDefinedThenFileThenSystemProperties() throws Exception {
        Path file = folder.newFile("launcher.properties").toPath();
        Files.writeString(file, """
                storage=${pyhost.storage}
                deploy=${pyhost.conf}/deploy
                nested=${deploy}/x
                home=${user.home}
                filter=.*\\\\.cfg
                """);
        Map<String, String> p = LauncherProperties.load(file, Map.of("pyhost.storage", "/w/1", "pyhost.conf", "/c"));
        assertEquals("/w/1", p.get("storage"));
        assertEquals("/c/deploy", p.get("deploy"));
        assertEquals("/c/deploy/x", p.get("nested"));
        assertEquals(System.getProperty("user.home"), p.get("home"));
        assertEquals(".*\\.cfg", p.get("filter"));
    }

    @Test
    public void aSystemPropertyOverridesTheFile() throws Exception {
        Path file = folder.newFile("launcher.properties").toPath();
        Files.writeString(file, "pyhost.test.level=WARNING\n");
        System.setProperty("pyhost.test.level", "INFO");
        try {
            assertEquals("INFO", LauncherProperties.load(file, Map.of()).get("pyhost.test.level"));
        } finally {
            System.clearProperty("pyhost.test.level");
        }
    }

    @Test
    public void anUndefinedReferenceOrACycleIsRefusedWithItsName() throws Exception {
        Path file = folder.newFile("launcher.properties").toPath();
        Files.writeString(file, "a=${nothing.defines.this}\n");
        assertEquals("launcher property a refers to ${nothing.defines.this}, which nothing defines",
                assertThrows(IllegalArgumentException.class, () -> LauncherProperties.load(file, Map.of())).getMessage());
        Files.writeString(file, "a=${b}\nb=${a}\n");
        assertThrows(IllegalArgumentException.class, () -> LauncherProperties.load(file, Map.of()));
    }
}
