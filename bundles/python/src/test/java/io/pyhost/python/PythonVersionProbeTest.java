package io.pyhost.python;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import static org.junit.Assert.assertEquals;

public class PythonVersionProbeTest {
    @Rule
    public final TemporaryFolder temp = TemporaryFolder.builder().assureDeletion().build();

    @Test
    public void readsPyVersionFromPatchlevel() throws Exception {
        Path home = temp.getRoot().toPath();
        patchlevel(home, "3.13", "3.13.1");
        assertEquals(Optional.of("3.13.1"), PythonVersionProbe.probe(home, home.resolve("lib/libpython3.13.so.1.0")));
    }

    @Test
    public void dropsReleaseSuffixes() throws Exception {
        Path home = temp.getRoot().toPath();
        patchlevel(home, "3.15", "3.15.0a1+");
        assertEquals(Optional.of("3.15.0"), PythonVersionProbe.probe(home, home.resolve("lib/libpython3.15.so")));
    }

    @Test
    public void thePatchlevelOfTheLibrarysVersionWinsOverOthers() throws Exception {
        Path home = temp.getRoot().toPath();
        patchlevel(home, "3.12", "3.12.7");
        patchlevel(home, "3.13", "3.13.2");
        assertEquals(Optional.of("3.12.7"), PythonVersionProbe.probe(home, home.resolve("lib/libpython3.12.so.1.0")));
    }

    @Test
    public void aLibraryWithoutVersionUsesTheOnlyPatchlevel() throws Exception {
        Path home = temp.getRoot().toPath();
        patchlevel(home, "3.13", "3.13.2");
        assertEquals(Optional.of("3.13.2"), PythonVersionProbe.probe(home, home.resolve("lib/libpython3.so")));
    }

    @Test
    public void withoutHeadersTheLibraryNameGivesMajorMinor() throws Exception {
        Path home = temp.getRoot().toPath();
        assertEquals(Optional.of("3.12"), PythonVersionProbe.probe(home, home.resolve("lib/libpython3.12.so.1.0")));
    }

    @Test
    public void withNeitherThereIsNoVersion() throws Exception {
        Path home = temp.getRoot().toPath();
        patchlevel(home, "3.12", "3.12.7");
        patchlevel(home, "3.13", "3.13.2");
        assertEquals(Optional.empty(), PythonVersionProbe.probe(home, home.resolve("lib/libpy.so")));
    }

    static void patchlevel(Path home, String majorMinor, String version) throws Exception {
        Path dir = Files.createDirectories(home.resolve("include/python" + majorMinor));
        Files.writeString(dir.resolve("patchlevel.h"), "/* Version parsed out into numeric values */\n"
                + "#define PY_MAJOR_VERSION        3\n"
                + "#define PY_VERSION              \"" + version + "\"\n");
    }
}
