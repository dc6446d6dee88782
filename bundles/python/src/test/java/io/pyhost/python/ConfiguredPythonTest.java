package io.pyhost.python;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class ConfiguredPythonTest {
    @Rule
    public final TemporaryFolder temp = TemporaryFolder.builder().assureDeletion().build();

    private Path home;
    private Path library;

    @Before
    public void fakeSystemPython() throws Exception {
        home = temp.newFolder("python3.13").toPath();
        Files.createDirectories(home.resolve("lib/python3.13"));
        Files.writeString(home.resolve("lib/python3.13/os.py"), "");
        library = Files.write(home.resolve("lib/libpython3.13.so.1.0"), TestJars.ELF);
        PythonVersionProbeTest.patchlevel(home, "3.13", "3.13.1");
    }

    @Test
    public void aCompleteConfigurationGivesTheInstallation() {
        PythonInstallation python = ConfiguredPython.resolve(home.toString(), library.toString(), "");
        assertEquals(new PythonInstallation(home, library, "3.13.1"), python);
    }

    @Test
    public void aConfiguredVersionWins() {
        assertEquals("3.13.9", ConfiguredPython.resolve(home.toString(), library.toString(), " 3.13.9 ").version());
    }

    @Test
    public void withoutHeadersTheVersionComesFromTheLibraryName() throws Exception {
        Files.delete(home.resolve("include/python3.13/patchlevel.h"));
        assertEquals("3.13", ConfiguredPython.resolve(home.toString(), library.toString(), null).version());
    }

    @Test
    public void isRequestedWhenEitherPathIsSet() {
        assertFalse(ConfiguredPython.isRequested("", " "));
        assertFalse(ConfiguredPython.isRequested(null, null));
        assertTrue(ConfiguredPython.isRequested("/x", ""));
        assertTrue(ConfiguredPython.isRequested("", "/x"));
    }

    @Test
    public void homeWithoutLibraryIsRefused() {
        assertRefused(home.toString(), "", "",
                "io.pyhost.python: 'home' is set but 'library' is not; set both to use a system Python, or neither to use the embedded CPython");
    }

    @Test
    public void libraryWithoutHomeIsRefused() {
        assertRefused("", library.toString(), "",
                "io.pyhost.python: 'library' is set but 'home' is not; set both to use a system Python, or neither to use the embedded CPython");
    }

    @Test
    public void aHomeThatIsNoDirectoryIsRefused() {
        Path missing = home.resolve("nowhere");
        assertRefused(missing.toString(), library.toString(), "", "io.pyhost.python: 'home' is not a directory: " + missing);
    }

    @Test
    public void aMissingLibraryIsRefused() {
        Path missing = home.resolve("lib/libpython3.13.so.9");
        assertRefused(home.toString(), missing.toString(), "", "io.pyhost.python: 'library' is not a file: " + missing);
    }

    @Test
    public void anUnknownVersionIsRefusedNamingWhatIsMissing() throws Exception {
        Files.delete(home.resolve("include/python3.13/patchlevel.h"));
        Path oddLibrary = Files.write(home.resolve("lib/libpy.so"), TestJars.ELF);
        assertRefused(home.toString(), oddLibrary.toString(), "",
                "io.pyhost.python: cannot tell the Python version: no " + home.resolve("include/pythonX.Y/patchlevel.h")
                        + " and the 'library' file name libpy.so has no version like libpython3.13.so; set 'version'");
    }

    @Test
    public void aMalformedVersionIsRefused() {
        assertRefused(home.toString(), library.toString(), "three",
                "io.pyhost.python: 'version' must look like 3.13 or 3.13.1, not 'three'");
    }

    @Test
    public void aPythonOlderThan312IsRefused() {
        assertRefused(home.toString(), library.toString(), "3.11.2",
                "io.pyhost.python: Python 3.11.2 at " + home + " is too old; pyhost needs 3.12 or later");
    }

    @Test
    public void aHomeWithoutStandardLibraryIsRefused() throws Exception {
        Files.delete(home.resolve("lib/python3.13/os.py"));
        assertRefused(home.toString(), library.toString(), "",
                "io.pyhost.python: 'home' has no standard library: " + home.resolve("lib/python3.13/os.py")
                        + " is missing (home must be the prefix that holds lib/python3.13)");
    }

    private static void assertRefused(String home, String library, String version, String message) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> ConfiguredPython.resolve(home, library, version));
        assertEquals(message, refused.getMessage());
    }
}
